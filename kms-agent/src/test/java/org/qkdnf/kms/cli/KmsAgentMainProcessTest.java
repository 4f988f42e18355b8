package org.qkdnf.kms.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;

/**
 * The command line as an operator runs it: two key managers (nodes A and B, one link, one
 * operator-pinned key service from sae-alice at A to sae-bob at B), each a separate JVM started
 * from a YAML file, reached over HTTPS with SAE certificates, stopped with SIGTERM.
 */
class KmsAgentMainProcessTest {

    static final String PROVIDER = "cli-test";
    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;
    private final List<Process> started = new java.util.ArrayList<>();

    @AfterEach
    void killLeftovers() throws InterruptedException {
        for (Process p : started) {
            if (p.isAlive()) {
                p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void servesEtsi014StatusToTheConfiguredMasterOnlyAndStopsOnSigterm() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create(PROVIDER);
        issue(ca, A, Role.KMS, "kms-a");
        issue(ca, B, Role.KMS, "kms-b");
        TlsFiles alice = issue(ca, "sae-alice", Role.SAE, "sae-alice");
        TlsFiles carol = issue(ca, "sae-carol", Role.SAE, "sae-carol");
        int[] ports = freePorts(4);   // control and relay of A and B: each file names the other's
        Files.writeString(dir.resolve("a.yaml"), config(A, "kme-a", "data-a", "kms-a", ports[0], ports[1], B,
                ports[2], ports[3]));
        Files.writeString(dir.resolve("b.yaml"), config(B, "kme-b", "data-b", "kms-b", ports[2], ports[3], A,
                ports[0], ports[1]));

        Process a = start("a.yaml");
        Process b = start("b.yaml");
        Map<String, Integer> portsA = readPorts(a);
        Map<String, Integer> portsB = readPorts(b);
        assertThat(portsA).containsEntry("CONTROL_PORT", ports[0]).containsEntry("RELAY_PORT", ports[1]);
        assertThat(portsB).containsEntry("CONTROL_PORT", ports[2]).containsEntry("RELAY_PORT", ports[3]);
        assertThat(portsA.get("ETSI014_PORT")).isPositive();

        String status = "https://127.0.0.1:" + portsA.get("ETSI014_PORT") + "/api/v1/keys/sae-bob/status";
        HttpResponse<String> ok = get(alice, status);
        assertThat(ok.statusCode()).as(ok.body()).isEqualTo(200);
        JsonNode s = JSON.readTree(ok.body());
        assertThat(s.get("source_KME_ID").asText()).isEqualTo("kme-a");
        assertThat(s.get("target_KME_ID").asText()).isEqualTo(B);
        assertThat(s.get("master_SAE_ID").asText()).isEqualTo("sae-alice");
        assertThat(s.get("slave_SAE_ID").asText()).isEqualTo("sae-bob");
        assertThat(s.get("key_size").asInt()).isEqualTo(256);
        assertThat(s.get("stored_key_count").asLong()).isZero();   // no QKD link feeds these pools
        // buffer_bits 2^20: the buffer (4,096 keys) and one 8 KiB relay chunk (256), and a ready run
        // of up to half the buffer (2,048) prepared on top of it
        assertThat(s.get("max_key_count").asLong()).isEqualTo((1L << 20) / 256 + 256 + 2048);

        HttpResponse<String> refused = get(carol, status);
        assertThat(refused.statusCode()).as(refused.body()).isEqualTo(401);
        assertThat(JSON.readTree(refused.body()).get("message").asText()).isNotBlank();

        // SIGTERM (Process.destroy on Linux): the shutdown hook closes the key manager, then the
        // JVM exits with 128 + 15 = 143, the status of a JVM ended by SIGTERM whose hooks finished.
        a.destroy();
        b.destroy();
        assertThat(a.waitFor(30, TimeUnit.SECONDS)).as("A stopped within 30 s").isTrue();
        assertThat(b.waitFor(30, TimeUnit.SECONDS)).as("B stopped within 30 s").isTrue();
        assertThat(a.exitValue()).isEqualTo(143);
        assertThat(b.exitValue()).isEqualTo(143);
        assertThat(Files.readString(dir.resolve("a.yaml.log"))).contains("key service 5e000000-0000-4000-8000-000000000001 installed");
        assertThat(dir.resolve("data-a/services.mv.db")).exists();
    }

    @Test
    void badConfigurationExitsWithTwoNamingTheLine() throws Exception {
        Files.writeString(dir.resolve("bad.yaml"), "qkdn_id: " + A + "\nkme_idd: x\n");
        Process p = start("bad.yaml");
        assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isEqualTo(2);
        assertThat(Files.readString(dir.resolve("bad.yaml.log"))).contains("bad.yaml line 2: kme_idd: unknown key");
    }

    private String config(String self, String kmeId, String data, String cred, int control, int relay, String other,
                          int otherControl, int otherRelay) {
        return String.join("\n",
                "qkdn_id: " + self,
                "kme_id: " + kmeId,
                "data_dir: " + data,
                "tls: { certificate_chain: pki/" + cred + ".crt.pem, private_key: pki/" + cred
                        + ".key.pem, trusted_ca: pki/ca.pem }",
                "listen: { control: 127.0.0.1:" + control + ", relay: 127.0.0.1:" + relay + ", etsi014: 127.0.0.1:0 }",
                "neighbors:",
                "  - { qkdn_id: " + other + ", qkdl_id: " + AB + ", relay: 127.0.0.1:" + otherRelay + " }",
                "peers:",
                "  - { qkdn_id: " + other + ", control: 127.0.0.1:" + otherControl + " }",
                "key_services:",
                "  - service_id: 5e000000-0000-4000-8000-000000000001",
                "    master_sae_id: sae-alice",
                "    slave_sae_id: sae-bob",
                "    route_qkdn_ids: [" + A + ", " + B + "]",
                "    route_qkdl_ids: [" + AB + "]",
                "    buffer_bits: 1048576",
                "");
    }

    private TlsFiles issue(DevCertificateAuthority ca, String id, Role role, String name) throws IOException {
        IssuedCredential.PemFiles f = ca.issue(id, role, PROVIDER).writeTo(dir.resolve("pki"), name);
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    /** The main class in a JVM of its own, on this test's class path; stderr (the log) to a file. */
    private Process start(String config) throws IOException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Process p = new ProcessBuilder(java.toString(), "-Xmx256m", "-cp", System.getProperty("java.class.path"),
                KmsAgentMain.class.getName(), "--config", dir.resolve(config).toString())
                .redirectError(dir.resolve(config + ".log").toFile())
                .start();
        started.add(p);
        return p;
    }

    /** Reads stdout up to the ETSI014_PORT line (the last one printed once every listener is up). */
    private static Map<String, Integer> readPorts(Process p) throws IOException {
        Map<String, Integer> ports = new HashMap<>();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line;
        while ((line = out.readLine()) != null) {
            int eq = line.indexOf('=');
            if (line.matches("[A-Z0-9]+_PORT=\\d+")) {
                ports.put(line.substring(0, eq), Integer.parseInt(line.substring(eq + 1)));
                if (line.startsWith("ETSI014_PORT=")) {
                    break;
                }
            }
        }
        assertThat(ports).as("port lines before stdout ended").containsKeys("CONTROL_PORT", "RELAY_PORT", "ETSI014_PORT");
        // Keep draining stdout so the process never blocks on a full pipe.
        Thread drain = new Thread(() -> {
            try {
                out.transferTo(java.io.Writer.nullWriter());
            } catch (IOException ignored) {
                // the process ended
            }
        }, "drain-stdout");
        drain.setDaemon(true);
        drain.start();
        return ports;
    }

    private static int[] freePorts(int n) throws IOException {
        ServerSocket[] sockets = new ServerSocket[n];
        int[] ports = new int[n];
        try {
            for (int i = 0; i < n; i++) {
                sockets[i] = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress());
                ports[i] = sockets[i].getLocalPort();
            }
        } finally {
            for (ServerSocket s : sockets) {
                if (s != null) {
                    s.close();
                }
            }
        }
        return ports;
    }

    private static HttpResponse<String> get(TlsFiles sae, String uri) throws Exception {
        HttpClient c = HttpClient.newBuilder().sslContext(JdkTls.clientContext(sae))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        return c.send(HttpRequest.newBuilder(URI.create(uri)).timeout(Duration.ofSeconds(20)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }
}

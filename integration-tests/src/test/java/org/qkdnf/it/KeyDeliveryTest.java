package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.pki.DevCertificateAuthority.Role;

/**
 * Key between two SAEs three hops apart: simulated QKD links feed the key managers' pools (Kq),
 * the source relays key hop by hop (Kk: one-time pad, Poly1305 on every hop), the SAEs fetch it
 * over ETSI GS QKD 014 HTTPS with their certificates.
 */
class KeyDeliveryTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void slaveGetsTheMastersKeysOnceAndNobodyElseGetsThem() throws Exception {
        // Everything the suite logs goes to stderr (slf4j-simple): keep a copy to search for key.
        java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(new TeeStream(stderr, logged), true));
        Set<String> handedOut = new HashSet<>();
        try (KeyChain chain = new KeyChain(dir, 4)) {
            UUID serviceId = UUID.randomUUID();
            KeyServiceDefinition service = new KeyServiceDefinition(serviceId, "sae-alice", "sae-bob", chain.nodes,
                    chain.links, 1L << 17);
            for (var k : chain.kms) {
                k.services().install(service);
            }
            HttpClient alice = client(chain, "sae-alice");
            HttpClient bob = client(chain, "sae-bob");
            HttpClient carol = client(chain, "sae-carol");
            String source = "https://localhost:" + chain.kms[0].etsi014Port() + "/api/v1/keys/";
            String destination = "https://localhost:" + chain.kms[3].etsi014Port() + "/api/v1/keys/";

            long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
            while (JSON.readTree(get(alice, source + "sae-bob/status").body()).get("stored_key_count").asLong() < 40) {
                assertThat(System.nanoTime()).as("key relayed within 60 s").isLessThan(deadline);
                Thread.sleep(100);
            }

            HttpResponse<String> enc = post(alice, source + "sae-bob/enc_keys", "{\"number\":10,\"size\":256}");
            assertThat(enc.statusCode()).as(enc.body()).isEqualTo(200);
            JsonNode keys = JSON.readTree(enc.body()).get("keys");
            assertThat(keys).hasSize(10);
            Set<String> ids = new HashSet<>();
            StringBuilder request = new StringBuilder("{\"key_IDs\":[");
            for (int i = 0; i < keys.size(); i++) {
                ids.add(keys.get(i).get("key_ID").asText());
                request.append(i == 0 ? "" : ",").append("{\"key_ID\":\"").append(keys.get(i).get("key_ID").asText())
                        .append("\"}");
            }
            request.append("]}");
            assertThat(ids).hasSize(10);

            assertThat(post(carol, destination + "sae-alice/dec_keys", request.toString()).statusCode())
                    .as("a third SAE").isEqualTo(401);
            assertThat(post(bob, source + "sae-alice/dec_keys", request.toString()).statusCode())
                    .as("the slave at the master's KME").isEqualTo(401);

            HttpResponse<String> dec = post(bob, destination + "sae-alice/dec_keys", request.toString());
            assertThat(dec.statusCode()).as(dec.body()).isEqualTo(200);
            JsonNode got = JSON.readTree(dec.body()).get("keys");
            for (int i = 0; i < keys.size(); i++) {
                assertThat(got.get(i).get("key_ID").asText()).isEqualTo(keys.get(i).get("key_ID").asText());
                assertThat(got.get(i).get("key").asText()).isEqualTo(keys.get(i).get("key").asText());
            }
            assertThat(post(bob, destination + "sae-alice/dec_keys", request.toString()).statusCode())
                    .as("the same key_IDs again").isEqualTo(400);

            // Many more, one request at a time: never a repeated key id or key.
            Set<String> seenKeys = new HashSet<>();
            for (int i = 0; i < 50; i++) {
                JsonNode k = JSON.readTree(get(alice, source + "sae-bob/enc_keys").body()).get("keys").get(0);
                assertThat(seenKeys.add(k.get("key").asText())).isTrue();
                JsonNode d = JSON.readTree(get(bob, destination + "sae-alice/dec_keys?key_ID="
                        + k.get("key_ID").asText()).body()).get("keys").get(0);
                assertThat(d.get("key").asText()).isEqualTo(k.get("key").asText());
            }
            // The refill tops the buffer up again: stored_key_count stays within max_key_count all along.
            long refilled = System.nanoTime() + Duration.ofSeconds(3).toNanos();
            while (System.nanoTime() < refilled) {
                JsonNode status = JSON.readTree(get(alice, source + "sae-bob/status").body());
                assertThat(status.get("stored_key_count").asLong()).as(status.toString())
                        .isLessThanOrEqualTo(status.get("max_key_count").asLong());
                Thread.sleep(50);
            }
            assertThat(chain.kms[0].services().counters().bitsRelayed()).isPositive();
            assertThat(chain.kms[3].services().counters().keysDeliveredToSlave()).isEqualTo(60);
            for (int i = 0; i < keys.size(); i++) {
                handedOut.add(keys.get(i).get("key").asText());
            }
            handedOut.addAll(seenKeys);
        } finally {
            System.setErr(stderr);
        }
        String log = logged.toString(java.nio.charset.StandardCharsets.UTF_8);
        assertThat(log).as("the run logged something").contains("key service");
        for (String key : handedOut) {
            byte[] raw = java.util.Base64.getDecoder().decode(key);
            assertThat(log).doesNotContain(key).doesNotContain(java.util.HexFormat.of().formatHex(raw))
                    .doesNotContain(java.util.HexFormat.of().withUpperCase().formatHex(raw))
                    .doesNotContain(java.util.Arrays.toString(raw));
        }
    }

    /** Writes to two streams. */
    static final class TeeStream extends java.io.OutputStream {
        private final java.io.OutputStream a;
        private final java.io.OutputStream b;

        TeeStream(java.io.OutputStream a, java.io.OutputStream b) {
            this.a = a;
            this.b = b;
        }

        @Override
        public synchronized void write(int c) throws java.io.IOException {
            a.write(c);
            b.write(c);
        }

        @Override
        public synchronized void write(byte[] buf, int off, int len) throws java.io.IOException {
            a.write(buf, off, len);
            b.write(buf, off, len);
        }
    }

    static HttpClient client(KeyChain chain, String sae) throws Exception {
        return HttpClient.newBuilder().sslContext(JdkTls.clientContext(chain.issue(sae, Role.SAE)))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    static HttpResponse<String> get(HttpClient c, String uri) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(uri)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(HttpClient c, String uri, String json) throws Exception {
        return c.send(HttpRequest.newBuilder(URI.create(uri)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }
}

package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.RelayNeighbor;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * A key manager in its own JVM is killed with SIGKILL and restarted on its data directory while
 * SAEs fetch key: the middle of a two-hop service while key is relayed through it, or the source
 * while it prepares and serves batches of keys from memory. The service resumes, both SAEs keep
 * getting the same keys, and no key id or key is ever handed out twice; the keys the source
 * prepared and lost are discarded at the destination, and none the master SAE got.
 */
class KmsCrashTest {

    static final ObjectMapper JSON = new ObjectMapper();
    static final String PROVIDER = "it-provider";

    @TempDir
    Path dir;

    private DevCertificateAuthority ca;

    private TlsFiles issue(String id, Role role) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(id, role, PROVIDER).writeTo(dir.resolve("pki"), id + "-" + role.ou());
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    @Test
    void killedMidRelayTheMiddleKeyManagerRestartsAndNoKeyIsHandedOutTwice() throws Exception {
        ca = DevCertificateAuthority.create(PROVIDER);
        String[] n = {node("n0"), node("n1"), node("n2")};
        String[] l = {node("l0"), node("l1")};
        KeySeed[] seeds = {KeySeed.random(), KeySeed.random()};
        int[] p1 = {freePort(), freePort(), freePort()};
        List<AutoCloseable> open = new ArrayList<>();
        Process middle = null;
        try (StandaloneController controller = StandaloneController.start(StandaloneControllerConfig.builder()
                .sqHost("127.0.0.1").sqPort(0).tls(issue("controller", Role.CONTROLLER))
                .dataDir(dir.resolve("controller")).build())) {
            KmsAgent k0 = kms(n[0], 0);
            open.add(k0);
            KmsAgent k2 = kms(n[2], 2);
            open.add(k2);
            UUID serviceId = UUID.randomUUID();
            KeyServiceDefinition service = new KeyServiceDefinition(serviceId, "sae-alice", "sae-bob",
                    List.of(n), List.of(l), 1L << 16);
            k0.addNeighbor(new RelayNeighbor(n[1], l[0], "127.0.0.1", p1[1]));
            k2.addNeighbor(new RelayNeighbor(n[1], l[1], "127.0.0.1", p1[1]));
            for (KmsAgent k : List.of(k0, k2)) {
                k.addPeer(n[1], "127.0.0.1:" + p1[0]);
                k.services().install(service);
            }
            k0.addPeer(n[2], "127.0.0.1:" + k2.controlPort());
            k2.addPeer(n[0], "127.0.0.1:" + k0.controlPort());
            TlsFiles tls1 = issue(n[1], Role.KMS);
            List<String> middleArgs = List.of(n[1], dir.resolve("kms-1").toString(), tls1.certificateChain().toString(),
                    tls1.privateKey().toString(), tls1.trustedCa().toString(), Integer.toString(p1[0]),
                    Integer.toString(p1[1]), Integer.toString(p1[2]),
                    "neighbor=" + n[0] + "," + l[0] + "," + k0.relayPort(),
                    "neighbor=" + n[2] + "," + l[1] + "," + k2.relayPort(),
                    "peer=" + n[0] + "," + k0.controlPort(), "peer=" + n[2] + "," + k2.controlPort(),
                    "service=" + serviceId + ",sae-alice,sae-bob," + String.join(";", n) + "," + String.join(";", l)
                            + "," + (1L << 16));
            middle = startMiddle(middleArgs);

            String[] kq = {"127.0.0.1:" + k0.controlPort(), "127.0.0.1:" + p1[0], "127.0.0.1:" + k2.controlPort()};
            for (int i = 0; i < 3; i++) {
                List<AgentConfig.Module> modules = new ArrayList<>();
                if (i > 0) {
                    modules.add(module(n, l, seeds, i, i - 1, PhysQkdRole.PHYS_QKD_ROLE_RECEIVER));
                }
                if (i < 2) {
                    modules.add(module(n, l, seeds, i, i + 1, PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER));
                }
                open.add(QkdAgent.start(new AgentConfig(new AgentConfig.Node(n[i], "n" + i, null),
                        "127.0.0.1:" + controller.sqPort(), issue(n[i], Role.QKD_NODE), 500, 0.08, null, null,
                        modules, kq[i]), Clock.systemUTC()));
            }

            Saes saes = new Saes(client("sae-alice"), client("sae-bob"),
                    "https://localhost:" + k0.etsi014Port() + "/api/v1/keys/sae-bob/enc_keys",
                    "https://localhost:" + k2.etsi014Port() + "/api/v1/keys/sae-alice/dec_keys?key_ID=");
            Thread t = new Thread(saes, "saes");
            t.start();
            open.add(() -> {
                saes.stop.set(true);
                t.join(10_000);
            });
            saes.awaitDelivered(30, Duration.ofSeconds(90));

            middle.destroyForcibly(); // SIGKILL while the source keeps relaying through it
            assertThat(middle.waitFor(10, TimeUnit.SECONDS)).isTrue();
            long before = saes.delivered.get();
            middle = startMiddle(middleArgs);
            saes.awaitDelivered(before + 30, Duration.ofSeconds(90));

            assertThat(saes.mismatches.get()).as("keys that differed between master and slave").isZero();
            assertThat(saes.keyBytes).as("every key's bits are new").hasSize((int) saes.delivered.get());
        } finally {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
            if (middle != null) {
                middle.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    @Test
    void killedWhileServingFromItsReadyRunTheSourceRestartsAndNoKeyIsHandedOutTwice() throws Exception {
        ca = DevCertificateAuthority.create(PROVIDER);
        try (SourceBed bed = new SourceBed()) {
            // Four SAE pairs at once, so that requests race for the ready run.
            HttpClient alice = client("sae-alice");
            HttpClient bob = client("sae-bob");
            Set<String> keyBytes = ConcurrentHashMap.newKeySet();
            Map<String, Boolean> keyIds = new ConcurrentHashMap<>();
            List<Saes> all = new ArrayList<>();
            for (int i = 0; i < 4; i++) {
                Saes saes = new Saes(alice, bob, bed.encUri(), bed.decUri(), keyIds, keyBytes);
                Thread t = new Thread(saes, "saes-" + i);
                t.start();
                bed.open.add(() -> {
                    saes.stop.set(true);
                    t.join(10_000);
                });
                all.add(saes);
            }
            awaitDelivered(all, 100, Duration.ofSeconds(60));

            bed.killSource(); // SIGKILL with a ready run in memory and batches in flight
            long before = delivered(all);
            bed.startSource();
            awaitDelivered(all, before + 100, Duration.ofSeconds(60));

            assertThat(all.stream().mapToLong(x -> x.mismatches.get()).sum())
                    .as("keys that differed between master and slave, or key ids given twice").isZero();
            assertThat(keyIds).as("every key id is new").hasSize((int) delivered(all));
            assertThat(keyBytes).as("every key's bits are new").hasSize((int) delivered(all));
        }
    }

    @Test
    void restartedTheSourceHasTheDestinationDiscardTheKeysOfItsLostReadyRun() throws Exception {
        ca = DevCertificateAuthority.create(PROVIDER);
        try (SourceBed bed = new SourceBed()) {
            HttpClient alice = client("sae-alice");
            HttpClient bob = client("sae-bob");
            // The master SAE takes keys and keeps them; the slave SAE asks only at the end.
            Map<String, String> masterGot = new java.util.LinkedHashMap<>();
            while (masterGot.size() < 20) {
                HttpResponse<String> e = alice.send(HttpRequest.newBuilder(URI.create(bed.encUri()))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                if (e.statusCode() == 200) {
                    JsonNode k = JSON.readTree(e.body()).get("keys").get(0);
                    masterGot.put(k.get("key_ID").asText(), k.get("key").asText());
                } else {
                    Thread.sleep(50);
                }
            }
            // The ready run refills (512 keys in batches of 128): then some batches wait unopened.
            Await.until(Duration.ofSeconds(60), () -> bed.waitingAtDestination() >= masterGot.size() + 512,
                    () -> bed.waitingAtDestination() + " keys waiting at the destination");

            bed.killSource();
            List<ServiceKeyStore.PreparedBatch> batches;
            try (ServiceKeyStore sourceStore = ServiceKeyStore.open(dir.resolve("kms-0").resolve("services.mv.db"),
                    dir.resolve("kms-0").resolve("store.key"))) {
                batches = sourceStore.preparedBatches();
            }
            List<UUID> lost = batches.stream().flatMap(b -> b.keyIds().stream()).toList();
            assertThat(lost).as("key ids of batches assigned and never opened").isNotEmpty();
            assertThat(lost.stream().map(UUID::toString).toList()).doesNotContainAnyElementsOf(masterGot.keySet());

            // The source logs each batch the destination acknowledged as discarded; a dec_keys probe
            // before that would take the key.
            long logFrom = Files.size(bed.log());
            bed.startSource();
            Await.until(Duration.ofSeconds(30), () -> bed.logLinesSince(logFrom, "of a lost batch of") >= batches.size(),
                    () -> batches.size() + " lost batches, discarded: " + bed.logLinesSince(logFrom, "of a lost batch of"));

            for (UUID id : lost) {
                HttpResponse<String> d = bob.send(HttpRequest.newBuilder(URI.create(bed.decUri() + id))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(d.statusCode()).as("dec_keys for a discarded key id").isEqualTo(400);
                assertThat(JSON.readTree(d.body()).get("message").asText()).contains(id.toString());
            }
            for (Map.Entry<String, String> got : masterGot.entrySet()) {
                HttpResponse<String> d = bob.send(HttpRequest.newBuilder(URI.create(bed.decUri() + got.getKey()))
                        .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(d.statusCode()).as("dec_keys for a key the master got: " + d.body()).isEqualTo(200);
                assertThat(JSON.readTree(d.body()).get("keys").get(0).get("key").asText()).isEqualTo(got.getValue());
            }
        }
    }

    /**
     * A one-hop key service whose source key manager runs in its own JVM (killed and restarted by
     * the test) and whose destination runs in the test's JVM, fed by two simulated QKD modules.
     * 1024 keys of buffer: the source keeps up to 512 ready, prepared in batches of 128.
     */
    private final class SourceBed implements AutoCloseable {
        final List<AutoCloseable> open = new ArrayList<>();
        final String[] n = {node("s0"), node("s1")};
        final int[] p0 = {freePort(), freePort(), freePort()};
        KmsAgent k1;
        List<String> sourceArgs;
        Process source;

        SourceBed() throws Exception {
            try {
                start();
            } catch (Exception | Error e) {
                close();
                throw e;
            }
        }

        private void start() throws Exception {
            String[] l = {node("sl0")};
            KeySeed[] seeds = {KeySeed.random()};
            StandaloneController controller = StandaloneController.start(StandaloneControllerConfig.builder()
                    .sqHost("127.0.0.1").sqPort(0).tls(issue("controller", Role.CONTROLLER))
                    .dataDir(dir.resolve("controller")).build());
            open.add(controller);
            k1 = kms(n[1], 1);
            open.add(k1);
            UUID serviceId = UUID.randomUUID();
            long buffer = 1024L * 256;
            k1.addNeighbor(new RelayNeighbor(n[0], l[0], "127.0.0.1", p0[1]));
            k1.addPeer(n[0], "127.0.0.1:" + p0[0]);
            k1.services().install(new KeyServiceDefinition(serviceId, "sae-alice", "sae-bob", List.of(n), List.of(l),
                    buffer));
            TlsFiles tls0 = issue(n[0], Role.KMS);
            sourceArgs = List.of(n[0], dir.resolve("kms-0").toString(), tls0.certificateChain().toString(),
                    tls0.privateKey().toString(), tls0.trustedCa().toString(), Integer.toString(p0[0]),
                    Integer.toString(p0[1]), Integer.toString(p0[2]),
                    "neighbor=" + n[1] + "," + l[0] + "," + k1.relayPort(), "peer=" + n[1] + "," + k1.controlPort(),
                    "service=" + serviceId + ",sae-alice,sae-bob," + String.join(";", n) + "," + l[0] + "," + buffer);
            startSource();
            String[] kq = {"127.0.0.1:" + p0[0], "127.0.0.1:" + k1.controlPort()};
            for (int i = 0; i < 2; i++) {
                List<AgentConfig.Module> modules = List.of(module(n, l, seeds, i, 1 - i, i == 0
                        ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER : PhysQkdRole.PHYS_QKD_ROLE_RECEIVER));
                open.add(QkdAgent.start(new AgentConfig(new AgentConfig.Node(n[i], "s" + i, null),
                        "127.0.0.1:" + controller.sqPort(), issue(n[i], Role.QKD_NODE), 500, 0.08, null, null,
                        modules, kq[i]), Clock.systemUTC()));
            }
        }

        String encUri() {
            return "https://localhost:" + p0[2] + "/api/v1/keys/sae-bob/enc_keys";
        }

        String decUri() {
            return "https://localhost:" + k1.etsi014Port() + "/api/v1/keys/sae-alice/dec_keys?key_ID=";
        }

        /** Keys stored at the destination for the slave SAE (its status's stored_key_count). */
        long waitingAtDestination() {
            try {
                return k1.services().status("sae-alice", "sae-bob").storedKeyCount();
            } catch (KeyDeliveryException e) {
                throw new IllegalStateException(e);
            }
        }

        Path log() {
            return dir.resolve("kms-1.log");
        }

        /** Lines of the source's log written after {@code offset} that contain {@code text}. */
        long logLinesSince(long offset, String text) {
            try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(log().toFile(), "r")) {
                f.seek(offset);
                byte[] rest = new byte[(int) (f.length() - offset)];
                f.readFully(rest);
                return new String(rest, StandardCharsets.UTF_8).lines().filter(l -> l.contains(text)).count();
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }

        void startSource() throws Exception {
            source = startMiddle(sourceArgs);
        }

        void killSource() throws InterruptedException {
            source.destroyForcibly();
            assertThat(source.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }

        @Override
        public void close() throws Exception {
            for (int i = open.size() - 1; i >= 0; i--) {
                open.get(i).close();
            }
            if (source != null) {
                source.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
            }
        }
    }

    private static long delivered(List<Saes> all) {
        return all.stream().mapToLong(x -> x.delivered.get()).sum();
    }

    private static void awaitDelivered(List<Saes> all, long count, Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (delivered(all) < count) {
            assertThat(System.nanoTime()).as(delivered(all) + " of " + count + " keys delivered in time")
                    .isLessThan(deadline);
            Thread.sleep(100);
        }
    }

    private KmsAgent kms(String node, int i) throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return KmsAgent.start(new KmsAgentConfig(node, "kme-" + i, dir.resolve("kms-" + i), issue(node, Role.KMS),
                any, any, any, KeyChain.LANE_MAX_BITS));
    }

    private Process startMiddle(List<String> args) throws Exception {
        Process p = new ProcessBuilder(KmsProcessMain.command(args))
                .redirectError(ProcessBuilder.Redirect.appendTo(dir.resolve("kms-1.log").toFile())).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String ready = CompletableFuture.supplyAsync(() -> {
            try {
                return out.readLine();
            } catch (java.io.IOException e) {
                return null;
            }
        }).get(60, TimeUnit.SECONDS);
        if (!"READY".equals(ready)) {
            p.destroyForcibly();
            throw new AssertionError("key manager process did not start (first line: " + ready + "); its log:\n"
                    + java.nio.file.Files.readString(dir.resolve("kms-1.log")));
        }
        return p;
    }

    private static AgentConfig.Module module(String[] n, String[] l, KeySeed[] seeds, int self, int other,
                                             PhysQkdRole role) {
        int link = Math.min(self, other);
        return new AgentConfig.Module(node("i" + self + "-" + link), role, n[other], node("i" + other + "-" + link),
                new ChannelParameters(10, 0.2, 0.2, 1e-6, 0.015, 1e9), FibreSchedule.NONE, seeds[link], 8192,
                new AgentConfig.Link(l[link], true));
    }

    private HttpClient client(String sae) throws Exception {
        return HttpClient.newBuilder().sslContext(JdkTls.clientContext(issue(sae, Role.SAE)))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    }

    private static String node(String name) {
        return UUID.nameUUIDFromBytes(("crash-" + name).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static int freePort() throws Exception {
        try (ServerSocket s = new ServerSocket(0)) {
            return s.getLocalPort();
        }
    }

    /** The two SAEs fetching keys back to back: enc_keys at the master's KME, dec_keys at the slave's. */
    static final class Saes implements Runnable {
        final HttpClient master;
        final HttpClient slave;
        final URI enc;
        final String dec;
        final AtomicBoolean stop = new AtomicBoolean();
        final AtomicLong delivered = new AtomicLong();
        final AtomicLong mismatches = new AtomicLong();
        final Set<String> keyBytes;
        final Map<String, Boolean> keyIds;

        Saes(HttpClient master, HttpClient slave, String enc, String dec) {
            this(master, slave, enc, dec, new ConcurrentHashMap<>(), ConcurrentHashMap.newKeySet());
        }

        /** With the key ids and keys seen shared with other SAE pairs. */
        Saes(HttpClient master, HttpClient slave, String enc, String dec, Map<String, Boolean> keyIds,
             Set<String> keyBytes) {
            this.master = master;
            this.slave = slave;
            this.enc = URI.create(enc);
            this.dec = dec;
            this.keyIds = keyIds;
            this.keyBytes = keyBytes;
        }

        @Override
        public void run() {
            while (!stop.get()) {
                try {
                    HttpResponse<String> e = master.send(HttpRequest.newBuilder(enc).timeout(Duration.ofSeconds(10))
                            .build(), HttpResponse.BodyHandlers.ofString());
                    if (e.statusCode() != 200) {
                        Thread.sleep(50);
                        continue;
                    }
                    JsonNode k = JSON.readTree(e.body()).get("keys").get(0);
                    String id = k.get("key_ID").asText();
                    HttpResponse<String> d = slave.send(HttpRequest.newBuilder(URI.create(dec + id))
                            .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
                    if (d.statusCode() != 200 || keyIds.put(id, true) != null) {
                        mismatches.incrementAndGet();
                        continue;
                    }
                    String key = JSON.readTree(d.body()).get("keys").get(0).get("key").asText();
                    if (!key.equals(k.get("key").asText()) || !keyBytes.add(key)) {
                        mismatches.incrementAndGet();
                    } else {
                        delivered.incrementAndGet();
                    }
                } catch (InterruptedException ex) {
                    return;
                } catch (Exception ex) {
                    // the KME may be unreachable for a moment; keep asking
                }
            }
        }

        void awaitDelivered(long count, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (delivered.get() < count) {
                assertThat(System.nanoTime()).as(delivered.get() + " of " + count + " keys delivered in time")
                        .isLessThan(deadline);
                Thread.sleep(100);
            }
        }
    }
}

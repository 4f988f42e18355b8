package org.qkdnf.kms.relay;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.ReservedKey;
import org.qkdnf.kms.store.MvStoreKeyPoolStore;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;

/**
 * Rough relay throughput, by hand (not a test: no timed assertions anywhere). Prints the cost of
 * the parts (XOR + Poly1305 in memory; one store reserve) and then relays {@code messages} keys of
 * {@code messageBytes} over {@code hops} hops of real KMEs (own stores in a temp dir, gRPC over
 * mTLS on 127.0.0.1) and prints key bits per second end to end. Usage, from the repository root:
 * <pre>
 * ./mvnw -B -q -o -pl kms-agent -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * cd kms-agent && java -Xms2g -Xmx4g -cp "target/test-classes:target/classes:$(cat target/cp.txt)" \
 *     org.qkdnf.kms.relay.RelayThroughputMain HOPS MESSAGE_BYTES MESSAGES [RESERVATION_BYTES]
 * </pre>
 * {@code -Drelay.jfr=FILE} records a JFR profile ("profile" settings) of the measured phase only.
 * The first tenth of the messages warm up the JIT and are not measured; {@code -Drelay.warmup=N}
 * sends N warm-up messages before the measured nine tenths instead, and {@code -Drelay.warmup.small=N}
 * sends N 4 KiB messages before those. Why: the per-message code (gRPC, Netty, TLS, store) runs
 * once per message, so after a few dozen 1 MiB messages a fresh JVM is still compiling it (the
 * JIT threads then take a third of the measured CPU, see the thread breakdown printed at the end),
 * which a long-running kms-agent does not; small messages reach those compile thresholds without
 * gigabytes of key in the test stores.
 */
public final class RelayThroughputMain {

    /** Size of the small warm-up messages, bytes. */
    private static final int SMALL = 4096;

    private RelayThroughputMain() {
    }

    public static void main(String[] args) throws Exception {
        int hops = args.length > 0 ? Integer.parseInt(args[0]) : 1;
        int messageBytes = args.length > 1 ? Integer.parseInt(args[1]) : 256 * 1024;
        int messages = args.length > 2 ? Integer.parseInt(args[2]) : 200;
        Path dir = Files.createTempDirectory("relay-tput");
        cipherOnly(messageBytes);
        storeOnly(dir.resolve("store-probe"));

        int reservationBytes = args.length > 3 ? Integer.parseInt(args[3]) : 8 * 1024 * 1024;
        int measured = messages - messages / 10;
        int warmup = Integer.getInteger("relay.warmup", messages / 10);
        int warmupSmall = Integer.getInteger("relay.warmup.small", 0);
        // a margin over what the messages need: a reservation's unused rest is dropped when a
        // message no longer fits, and reservations shrink when the lane runs low
        long laneBytes = (long) (1.25 * ((warmup + measured) * (messageBytes + 64L) + warmupSmall * (SMALL + 64L)))
                + 3L * reservationBytes;
        int blockBytes = 4 * 1024 * 1024;
        int blocks = (int) ((laneBytes + blockBytes - 1) / blockBytes);
        long t0 = System.nanoTime();
        try (RelayTestNet net = new RelayTestNet(dir, hops + 1, blocks, 1, blockBytes,
                (i, b) -> b.maxInFlightPerLink(32).reservationMaxBytes(reservationBytes), i -> null)) {
            System.out.printf("setup (stores filled with %d MiB per lane): %.1f s%n",
                    (long) blocks * blockBytes >> 20, (System.nanoTime() - t0) / 1e9);
            SecureRandom random = new SecureRandom();
            byte[] key = new byte[messageBytes];
            random.nextBytes(key);
            UUID service = UUID.randomUUID();
            byte[] small = new byte[SMALL];
            random.nextBytes(small);
            run(net, service, small, warmupSmall);
            run(net, service, key, warmup);
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            // -Drelay.jfr=FILE profiles the measured phase only (not setup, warm-up or the cipher probe)
            String jfr = System.getProperty("relay.jfr");
            jdk.jfr.Recording recording = jfr == null ? null
                    : new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            if (recording != null) {
                recording.start();
            }
            long cpu0 = os.getProcessCpuTime();
            java.util.Map<String, Double> threads0 = ThreadCpu.snapshot();
            long start = System.nanoTime();
            run(net, service, key, measured);
            double secs = (System.nanoTime() - start) / 1e9;
            double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
            java.util.Map<String, Double> threads1 = ThreadCpu.snapshot();
            if (recording != null) {
                recording.stop();
                recording.dump(Path.of(jfr));
                recording.close();
            }
            long bits = (long) measured * messageBytes * 8;
            System.out.printf("relay %d hop(s), %d messages of %d bytes: %.2f s, %.1f Mbit/s of key end to end; "
                    + "all nodes together used %.2f CPU-seconds (%.0f Mbit of key per CPU-second, %.1f cores busy; "
                    + "load average %.1f on %d cores)%n",
                    hops, measured, messageBytes, secs, bits / secs / 1e6, cpu, bits / cpu / 1e6,
                    cpu / secs, os.getSystemLoadAverage(), os.getAvailableProcessors());
            System.out.println(net.nodes.get(0).counters());
            ThreadCpu.print(threads0, threads1);
        } finally {
            deleteTree(dir);  // the stores of a long run take gigabytes
        }
    }

    private static void deleteTree(Path dir) throws java.io.IOException {
        try (java.util.stream.Stream<Path> all = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) all.sorted(java.util.Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }

    private static void run(RelayTestNet net, UUID service, byte[] key, int count) throws Exception {
        List<CompletableFuture<RelayReceipt>> fs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            fs.add(net.nodes.get(0).relay(service, net.route(), key));
        }
        for (CompletableFuture<RelayReceipt> f : fs) {
            f.get(120, TimeUnit.SECONDS);
        }
    }

    private static void cipherOnly(int messageBytes) {
        byte[] data = new byte[messageBytes];
        byte[] pad = new byte[messageBytes];
        byte[] macKey = new byte[32];
        new SecureRandom().nextBytes(pad);
        RelayHopRequest header = RelayHopRequest.newBuilder().setServiceId(UUID.randomUUID().toString()).build();
        for (int round = 0; round < 3; round++) {
            int n = Math.max(20, (int) (512L * 1024 * 1024 / messageBytes));
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                byte[] ct = OneTimePad.xor(data, pad);
                HopCipher.tag(macKey, header, ct);
            }
            double secs = (System.nanoTime() - start) / 1e9;
            System.out.printf("XOR + Poly1305 in memory, %d-byte messages: %.0f Mbit/s%n", messageBytes,
                    (double) n * messageBytes * 8 / secs / 1e6);
        }
    }

    private static void storeOnly(Path dir) throws Exception {
        Files.createDirectories(dir);
        KeyFile.create(dir.resolve("k"));
        try (KeyPoolStore store = MvStoreKeyPoolStore.open(dir.resolve("s.mv.db"), dir.resolve("k"))) {
            store.definePool("probe", 1L << 40);
            store.append("probe", List.of(new PoolBlock(UUID.randomUUID(), 0, new byte[1024 * 1024])));
            int n = 200;
            long start = System.nanoTime();
            for (int i = 0; i < n; i++) {
                ReservedKey k = store.reserve("probe", 256);
                k.erase();
            }
            System.out.printf("store reserve (durable watermark), one thread: %.2f ms per call%n",
                    (System.nanoTime() - start) / 1e6 / n);
        }
    }
}

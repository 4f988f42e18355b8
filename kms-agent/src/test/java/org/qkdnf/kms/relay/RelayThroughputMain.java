package org.qkdnf.kms.relay;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Arrays;
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
 * {@code -Drelay.laneKey=true} relays fresh key of the first node's lane
 * ({@link RelayNode#relayLaneKey}, as a key service's source does: the first hop names the key's
 * range instead of padding it) instead of a given key ({@link RelayNode#relay}, every hop padded,
 * the default); the last node's key is then checked against the key the first node got back (by
 * a 64-bit fingerprint of each, see {@code LaneKeyCheck}).
 *
 * <p>What it measures: the steady state of a long-running kms-agent, i.e. relay with the
 * per-message code (gRPC, Netty, TLS, protobuf, store, cipher) already compiled by the JIT. A
 * fresh JVM is still compiling that code long after the first messages: with 1 MiB messages the
 * per-message paths run only ~100 times a second, and with the old fixed warm-up (a tenth of the
 * messages) the JIT compiler threads took 22-40 % of the measured CPU: code run once per message
 * reaches the C2 compiler only after thousands of calls (tier 2, then 3, then 4), i.e. minutes of
 * 1 MiB messages. So the warm-up first relays {@code -Drelay.warmup.mid=N} (default 20,000)
 * messages of {@code -Drelay.warmup.bytes=B} (default 16 KiB, or the message size if smaller: one
 * HTTP/2 frame, piece and at-rest chunk each, so the per-message code gets its calls for 1/64 of
 * the key), then rounds of {@code -Drelay.warmup=N} (default a tenth of the messages) messages of
 * the measured size, which recompile what the larger messages' profile changes. After each step
 * it pauses until the compiler threads are idle: on a machine the relay keeps busy they do not get
 * the CPU to empty their queue (and compile at tier 2 instead while it is long), which a
 * long-running kms-agent's did long ago. It stops when the compiler threads took less than
 * {@code -Drelay.warmup.jit=P} percent (default 5) of a round's CPU, or after
 * {@code -Drelay.warmup.rounds=R} (default 6) rounds, and says which. The JIT is
 * not excluded from the figure: its share of the measured phase is printed with the thread
 * breakdown at the end. {@code -Drelay.warmup.rounds=0} gives the old fixed warm-up;
 * {@code -Drelay.warmup.small=N} still sends N 4 KiB messages first.
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
        int rounds = Integer.getInteger("relay.warmup.rounds", 6);
        int roundMessages = Integer.getInteger("relay.warmup.mid", 20000);
        int roundBytes = Math.min(messageBytes, Integer.getInteger("relay.warmup.bytes", 16 * 1024));
        double jitSettled = Integer.getInteger("relay.warmup.jit", 5) / 100.0;
        // a margin over what the messages need: a reservation's unused rest is dropped when a
        // message no longer fits, and reservations shrink when the lane runs low
        long laneBytes = (long) (1.25 * ((warmup * (long) Math.max(1, rounds) + measured) * (messageBytes + 64L)
                + (long) roundMessages * (roundBytes + 64L) + warmupSmall * (SMALL + 64L)))
                + 3L * reservationBytes * (rounds + 1);
        int blockBytes = 4 * 1024 * 1024;
        int blocks = (int) ((laneBytes + blockBytes - 1) / blockBytes);
        long t0 = System.nanoTime();
        byte[] key = new byte[messageBytes];
        new SecureRandom().nextBytes(key);
        // Every message carries a prefix of key: the last node checks what arrives and erases it, as
        // a kms-agent's sink stores and drops it. (It used to keep every key in a map, so the heap
        // grew by the whole run's key and G1 worked harder the longer the run.)
        java.util.concurrent.atomic.LongAdder delivered = new java.util.concurrent.atomic.LongAdder();
        java.util.concurrent.atomic.LongAdder wrong = new java.util.concurrent.atomic.LongAdder();
        LaneKeyCheck laneKeys = Boolean.getBoolean("relay.laneKey") ? new LaneKeyCheck(delivered, wrong) : null;
        RelayedKeySink check = laneKeys != null ? laneKeys::arrived : (service, sequence, k) -> {
            if (!Arrays.equals(k, 0, k.length, key, 0, Math.min(k.length, key.length)) || k.length > key.length) {
                wrong.increment();
            }
            delivered.increment();
            Arrays.fill(k, (byte) 0);
        };
        System.out.println(laneKeys != null ? "mode: lane key (first hop names the key's range, no pad)"
                : "mode: padded (every hop carries the key one-time-pad encrypted)");
        try (RelayTestNet net = new RelayTestNet(dir, hops + 1, blocks, 1, blockBytes,
                (i, b) -> b.maxInFlightPerLink(32).reservationMaxBytes(reservationBytes).sink(check), i -> null)) {
            System.out.printf("setup (stores filled with %d MiB per lane): %.1f s%n",
                    (long) blocks * blockBytes >> 20, (System.nanoTime() - t0) / 1e9);
            UUID service = UUID.randomUUID();
            String jfr = System.getProperty("relay.jfr");
            if (jfr != null) {
                // The first recording of a JVM invalidates compiled code (the JIT logs "Jvmti state
                // change invalidated dependencies"); started at the measured phase, it had the at-rest
                // AES-GCM run without its GHASH intrinsic (GHASH.blockMult in the profile) for the
                // seconds until C2 had compiled it again. So one is started, and closed, before the
                // warm-up, which then recompiles what it invalidated.
                try (jdk.jfr.Recording first = new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"))) {
                    first.start();
                    first.stop();
                }
            }
            byte[] small = Arrays.copyOf(key, Math.min(SMALL, messageBytes));
            run(net, service, small, warmupSmall, laneKeys);
            if (rounds == 0) {
                run(net, service, key, warmup, laneKeys);
            } else {
                warmUp(net, service, key, Arrays.copyOf(key, roundBytes), roundMessages, warmup, rounds, jitSettled,
                        laneKeys);
            }
            com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                    java.lang.management.ManagementFactory.getOperatingSystemMXBean();
            // -Drelay.jfr=FILE profiles the measured phase only (not setup, warm-up or the cipher probe)
            jdk.jfr.Recording recording = jfr == null ? null
                    : new jdk.jfr.Recording(jdk.jfr.Configuration.getConfiguration("profile"));
            if (recording != null) {
                recording.start();
            }
            long cpu0 = os.getProcessCpuTime();
            java.util.Map<String, Double> threads0 = ThreadCpu.snapshot();
            long start = System.nanoTime();
            run(net, service, key, measured, laneKeys);
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
            System.out.printf("keys delivered at the last node: %d, differing from what was sent: %d%n",
                    delivered.sum(), wrong.sum());
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

    /**
     * Relays {@code midMessages} mid-size messages, then rounds of {@code full} full-size ones,
     * each followed by a pause until the compiler threads are idle, until the compiler threads took
     * less than {@code settled} of a round's CPU, or {@code rounds} rounds are done.
     */
    private static void warmUp(RelayTestNet net, UUID service, byte[] key, byte[] mid, int midMessages, int full,
                               int rounds, double settled, LaneKeyCheck laneKeys) throws Exception {
        long t0 = System.nanoTime();
        run(net, service, mid, midMessages, laneKeys);
        double idle = awaitJitIdle();
        System.out.printf("warm-up: %d x %d B, then the JIT queue drained in %.1f s%n", midMessages, mid.length, idle);
        for (int r = 1; r <= rounds; r++) {
            java.util.Map<String, Double> before = ThreadCpu.snapshot();
            run(net, service, key, full, laneKeys);
            java.util.Map<String, Double> after = ThreadCpu.snapshot();
            double jit = ThreadCpu.share(before, after, ThreadCpu.JIT);
            idle = awaitJitIdle();
            System.out.printf("warm-up round %d: %d x %d B, JIT compiler threads %.1f %% of its CPU, then the queue "
                    + "drained in %.1f s%n", r, full, key.length, 100 * jit, idle);
            if (jit < settled) {
                System.out.printf("warm-up: compile rate fell below %.0f %% after %d round(s), %.0f s%n",
                        100 * settled, r, (System.nanoTime() - t0) / 1e9);
                return;
            }
        }
        System.out.printf("warm-up: the JIT did not settle below %.0f %% within %d rounds (%.0f s); measuring anyway%n",
                100 * settled, rounds, (System.nanoTime() - t0) / 1e9);
    }

    /**
     * Waits until the JIT compiler threads are idle (under 10 ms of CPU in a quarter second), at
     * most 20 s, and returns the seconds waited. Why: on a machine whose cores the relay keeps
     * busy, the compile queue fills faster than the compiler threads get CPU to drain it, so
     * relaying alone would take minutes to reach the compiled state a long-running kms-agent is in.
     */
    private static double awaitJitIdle() throws InterruptedException {
        long t0 = System.nanoTime();
        while (System.nanoTime() - t0 < 20_000_000_000L) {
            java.util.Map<String, Double> a = ThreadCpu.snapshot();
            Thread.sleep(250);
            java.util.Map<String, Double> b = ThreadCpu.snapshot();
            if (b.getOrDefault(ThreadCpu.JIT, 0.0) - a.getOrDefault(ThreadCpu.JIT, 0.0) < 0.01) {
                break;
            }
        }
        return (System.nanoTime() - t0) / 1e9;
    }

    /**
     * Relays {@code count} keys as long as {@code key}: that key, padded on every hop, or with
     * {@code laneKeys} fresh lane key of the first node (the key's content is then not used).
     */
    private static void run(RelayTestNet net, UUID service, byte[] key, int count, LaneKeyCheck laneKeys)
            throws Exception {
        List<CompletableFuture<?>> fs = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            fs.add(laneKeys == null ? net.nodes.get(0).relay(service, net.route(), key)
                    : net.nodes.get(0).relayLaneKey(service, 0, net.route(), key.length).thenAccept(laneKeys::relayed));
        }
        for (CompletableFuture<?> f : fs) {
            f.get(120, TimeUnit.SECONDS);
        }
    }

    /**
     * Lane-key mode: the last node's sink records a 64-bit fingerprint of each key by sequence
     * number and erases the key at once; the first node's copy, when its future completes (after
     * the sink returned), must have the same fingerprint. A fingerprint rather than the key itself:
     * parking the keys (up to the in-flight window of 1 MiB arrays, humongous objects for G1)
     * until the response has come back through every hop would add live heap that the padded mode
     * (one shared key, compared in the sink) does not have.
     */
    private static final class LaneKeyCheck {
        private static final java.lang.invoke.VarHandle LONGS = java.lang.invoke.MethodHandles.byteArrayViewVarHandle(
                long[].class, java.nio.ByteOrder.LITTLE_ENDIAN);
        private final java.util.Map<Long, Long> parked = new java.util.concurrent.ConcurrentHashMap<>();
        private final java.util.concurrent.atomic.LongAdder delivered;
        private final java.util.concurrent.atomic.LongAdder wrong;

        LaneKeyCheck(java.util.concurrent.atomic.LongAdder delivered, java.util.concurrent.atomic.LongAdder wrong) {
            this.delivered = delivered;
            this.wrong = wrong;
        }

        void arrived(UUID service, long sequence, byte[] key) {
            parked.put(sequence, fingerprint(key));
            Arrays.fill(key, (byte) 0);
        }

        void relayed(LaneKeyReceipt r) {
            Long atLast = parked.remove(r.receipt().sequence());
            if (atLast == null || atLast != fingerprint(r.key())) {
                wrong.increment();
            }
            delivered.increment();
            r.erase();
        }

        /** Multiply-xor over every 8-byte word and the length: order- and position-sensitive. */
        private static long fingerprint(byte[] key) {
            long h = key.length;
            int i = 0;
            for (int whole = key.length & ~7; i < whole; i += 8) {
                h = (h ^ (long) LONGS.get(key, i)) * 0x9E3779B97F4A7C15L;
            }
            for (; i < key.length; i++) {
                h = (h ^ key[i]) * 0x9E3779B97F4A7C15L;
            }
            return h;
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

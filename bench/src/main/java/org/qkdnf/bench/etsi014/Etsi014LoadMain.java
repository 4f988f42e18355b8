package org.qkdnf.bench.etsi014;

import java.io.IOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.Callable;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * ETSI GS QKD 014 load run against real key managers: builds the {@link Etsi014Bed} (two nodes,
 * one simulated link, one key service, durable pools), lets the source relay key ahead, then runs
 * the {@link Etsi014LoadDriver} for each mode and connection count, closed-loop or at a constant
 * rate ({@code --rate}), and prints one line per point. Everything in one JVM on one machine: server and driver share the CPUs.
 *
 * <pre>
 * java -cp bench/target/qkdnf-bench.jar org.qkdnf.bench.etsi014.Etsi014LoadMain \
 *     --connections 16,64,256 --modes enc,pair --seconds 20
 * </pre>
 */
@Command(name = "etsi014-load", mixinStandardHelpOptions = true,
        description = "ETSI GS QKD 014 load (mTLS, keep-alive), closed-loop or at a constant rate, against two real "
                + "key managers.")
public final class Etsi014LoadMain implements Callable<Integer> {

    @Option(names = "--connections", split = ",", defaultValue = "16,64,256",
            description = "connection counts to run, one point each (default: ${DEFAULT-VALUE})")
    List<Integer> connections;

    @Option(names = "--modes", split = ",", defaultValue = "enc,pair",
            description = "enc: enc_keys alone; pair: enc_keys then dec_keys; status: GET status, no key "
                    + "(default: ${DEFAULT-VALUE})")
    List<String> modes;

    @Option(names = "--seconds", defaultValue = "20", description = "measurement window per point, s")
    double seconds;

    @Option(names = "--warmup", defaultValue = "5", description = "load before each window, s")
    double warmup;

    @Option(names = "--prewarm", defaultValue = "0",
            description = "before the first point, run every mode unmeasured for this many seconds each at the "
                    + "largest connection count, so that no mode is measured while the JIT still compiles its path "
                    + "(the first mode of a run otherwise pays for it; 0: off)")
    double prewarm;

    @Option(names = "--rate", defaultValue = "0",
            description = "operations due per second over all connections, latency measured from when each was due "
                    + "(wrk2's constant-rate mode); 0: closed loop, every connection flat out (default)")
    double rate;

    @Option(names = "--key-size", defaultValue = "256", description = "bits of the one key per request")
    int keySize;

    @Option(names = "--client-threads", defaultValue = "2", description = "event loop threads of the driver")
    int clientThreads;

    @Option(names = "--length-km", defaultValue = "1", description = "fibre length of the simulated link, km")
    double lengthKm;

    @Option(names = "--buffer-bits", defaultValue = "536870912",
            description = "key the source keeps relayed ahead of demand, bits (default 2^29 = 2 Mi keys)")
    long bufferBits;

    @Option(names = "--lane-max-bits", defaultValue = "1073741824",
            description = "most unconsumed key per lane of the link, bits")
    long laneMaxBits;

    @Option(names = "--prefill-keys", defaultValue = "1000000",
            description = "wait until the master's KME holds this many 256-bit keys before each point that takes key")
    long prefillKeys;

    @Option(names = "--prefill-timeout", defaultValue = "240", description = "give up waiting for prefill after, s")
    double prefillTimeout;

    @Option(names = "--cpu-by-thread", description = "after each point, print the JVM CPU per operation of each "
            + "thread group (driver, ETSI 014 event loops, relay, preparation, stores; the rest is GC, JIT, VM)")
    boolean cpuByThread;

    @Option(names = "--hold", defaultValue = "0",
            description = "after prefill, print the KMEs' ports and the SAE certificate files and keep serving "
                    + "this many seconds (for curl by hand) before the load points")
    double hold;

    @Option(names = "--dir", description = "stores and certificates (default: a new directory under java.io.tmpdir, "
            + "deleted at the end); must be a real disk, since the pools fsync")
    Path dir;

    public static void main(String[] args) {
        System.exit(new CommandLine(new Etsi014LoadMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        boolean temporary = dir == null;
        Path d = temporary ? Files.createTempDirectory("qkdnf-etsi014-") : Files.createDirectories(dir);
        try (Etsi014Bed bed = new Etsi014Bed(d, lengthKm, laneMaxBits, bufferBits)) {
            prefill(bed, true);
            if (hold > 0) {
                System.out.println("master KME https://127.0.0.1:" + bed.masterPort() + " (sae-alice: "
                        + bed.master.certificateChain() + ", " + bed.master.privateKey() + "), slave KME https://127.0.0.1:"
                        + bed.slavePort() + " (sae-bob: " + bed.slave.certificateChain() + "), CA "
                        + bed.master.trustedCa() + "; serving " + hold + " s");
                System.out.flush();
                Thread.sleep((long) (hold * 1000));
            }
            if (prewarm > 0) {
                int most = connections.stream().mapToInt(Integer::intValue).max().orElse(1);
                for (String m : modes) {
                    Etsi014LoadDriver.Mode mode = Etsi014LoadDriver.Mode.valueOf(m.toUpperCase(Locale.ROOT));
                    Etsi014LoadDriver.Result r = Etsi014LoadDriver.run(new Etsi014LoadDriver.Settings("127.0.0.1",
                            bed.masterPort(), "127.0.0.1", bed.slavePort(), bed.master, bed.slave, Etsi014Bed.MASTER,
                            Etsi014Bed.SLAVE, mode, most, keySize, 0, (long) (prewarm * 1000), clientThreads, 0));
                    System.out.printf(Locale.ROOT, "prewarm %s at %d connections: %.0f ops/s (not a result)%n",
                            m, most, r.operationsPerSecond());
                }
                prefill(bed, false);  // the buffer back to where the points expect it
            }
            System.out.println("| mode | connections | offered ops/s | ops/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | non-200 "
                    + "| failures | JVM cores | JVM CPU µs/op | keys in buffer after | load avg 1 min |");
            System.out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
            for (String m : modes) {
                Etsi014LoadDriver.Mode mode = Etsi014LoadDriver.Mode.valueOf(m.toUpperCase(Locale.ROOT));
                for (int c : connections) {
                    if (mode != Etsi014LoadDriver.Mode.STATUS) {
                        // Every point starts from the same buffer: a point that drains it measures the
                        // relay's supply (printed at the first prefill), not the ETSI 014 server.
                        prefill(bed, false);
                    }
                    Etsi014LoadDriver.Result r = Etsi014LoadDriver.run(settings(bed, mode, c));
                    System.out.println(row(r, bed.storedKeys()) + String.format(Locale.ROOT, " %.1f |",
                            java.lang.management.ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
                    r.firstErrorBody().forEach((status, body) -> System.err.println("first " + status + ": " + body));
                    if (r.firstFailure() != null) {
                        System.err.println("first failure: " + r.firstFailure());
                    }
                    if (cpuByThread) {
                        printCpuByThread(r);
                    }
                    System.out.flush();
                }
            }
            System.out.printf(Locale.ROOT, "relayed in total: %.1f Mbit%n", bed.bitsRelayed() / 1e6);
        } finally {
            if (temporary) {
                deleteTree(d);
            }
        }
        return 0;
    }

    Etsi014LoadDriver.Settings settings(Etsi014Bed bed, Etsi014LoadDriver.Mode mode, int c) {
        return new Etsi014LoadDriver.Settings("127.0.0.1", bed.masterPort(), "127.0.0.1", bed.slavePort(),
                bed.master, bed.slave, Etsi014Bed.MASTER, Etsi014Bed.SLAVE, mode, c, keySize,
                (long) (warmup * 1000), (long) (seconds * 1000), clientThreads, rate);
    }

    /** The JVM CPU per operation of each thread group that took at least 0.5 µs/op, then the rest. */
    private static void printCpuByThread(Etsi014LoadDriver.Result r) {
        double perOp = r.operations() == 0 ? Double.NaN : 1e6 / r.operations();
        double accounted = 0;
        StringBuilder b = new StringBuilder("  CPU µs/op by thread:");
        for (Map.Entry<String, Double> e : r.cpuByThreads().entrySet()) {
            accounted += e.getValue();
            if (e.getValue() * perOp >= 0.5) {
                b.append(String.format(Locale.ROOT, " %s %.1f;", e.getKey(), e.getValue() * perOp));
            }
        }
        b.append(String.format(Locale.ROOT, " not in a Java thread (GC, JIT, VM) %.1f",
                (r.cpuSeconds() - accounted) * perOp));
        System.out.println(b);
    }

    /** Waits for the source to relay key ahead, printing the relay's rate (the key supply limit). */
    private void prefill(Etsi014Bed bed, boolean reportRelayRate) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + (long) (prefillTimeout * 1e9);
        long lastPrint = start;
        while (bed.storedKeys() < prefillKeys && System.nanoTime() < deadline) {
            Thread.sleep(200);
            if (System.nanoTime() - lastPrint > 10e9) {
                lastPrint = System.nanoTime();
                System.err.printf(Locale.ROOT, "prefill: %d keys after %.0f s%n", bed.storedKeys(),
                        (lastPrint - start) / 1e9);
            }
        }
        if (!reportRelayRate) {
            return;
        }
        double s = (System.nanoTime() - start) / 1e9;
        System.out.printf(Locale.ROOT, "prefill: %d keys of %d bits in the master's buffer after %.1f s; "
                        + "relay supplied %.2f Mbit/s = %.0f keys/s%n", bed.storedKeys(), keySize, s,
                bed.bitsRelayed() / s / 1e6, bed.bitsRelayed() / s / keySize);
    }

    static String row(Etsi014LoadDriver.Result r, long keysLeft) {
        return String.format(Locale.ROOT, "| %s | %d | %s | %.0f | %.2f | %.2f | %.2f | %.2f | %.2f | %s | %d | %.2f | %.0f | %d |",
                r.settings().mode().name().toLowerCase(Locale.ROOT), r.settings().connections(),
                r.settings().constantRate() ? String.format(Locale.ROOT, "%.0f", r.settings().ratePerSecond()) : "closed loop",
                r.operationsPerSecond(), r.p50Micros() / 1e3, r.p90Micros() / 1e3, r.p99Micros() / 1e3,
                r.p999Micros() / 1e3,
                r.maxMicros() / 1e3, r.errorsByStatus().isEmpty() ? "0" : r.errorsByStatus().toString(),
                r.failures(), r.cores(), r.cpuMicrosPerOperation(), keysLeft);
    }

    private static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        Files.walkFileTree(root, new SimpleFileVisitor<>() {
            @Override
            public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
                Files.delete(file);
                return FileVisitResult.CONTINUE;
            }

            @Override
            public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
                Files.delete(d);
                return FileVisitResult.CONTINUE;
            }
        });
    }
}

package org.qkdnf.kms.relay;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * CPU time of this JVM's threads by group, read from Linux's {@code /proc/self/task}, for the
 * throughput mains: unlike JFR's execution samples it includes native code (TLS in BoringSSL),
 * system calls, GC and JIT threads. A group is the thread's kernel name (15 characters at most)
 * with digits dropped, e.g. "GC Thread#" or "grpc-default-wo" (Netty event loops).
 */
final class ThreadCpu {

    /** Clock ticks per second of utime/stime in /proc; 100 on every Linux this runs on. */
    private static final double TICKS = 100.0;

    private ThreadCpu() {
    }

    /** CPU seconds by group, user and system together; empty where /proc is missing. */
    static Map<String, Double> snapshot() {
        Map<String, Double> out = new TreeMap<>();
        Path tasks = Path.of("/proc/self/task");
        if (!Files.isDirectory(tasks)) {
            return out;
        }
        try (Stream<Path> all = Files.list(tasks)) {
            all.forEach(t -> {
                try {
                    String name = Files.readString(t.resolve("comm")).trim().replaceAll("[0-9]+", "");
                    String stat = Files.readString(t.resolve("stat"));
                    // fields after the ")" closing the name: state is field 3, utime 14, stime 15
                    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    double secs = (Long.parseLong(f[11]) + Long.parseLong(f[12])) / TICKS;
                    out.merge(name, secs, Double::sum);
                } catch (IOException | RuntimeException e) {
                    // the thread ended between listing and reading: its time is lost to both snapshots
                }
            });
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** The group of the JIT compiler threads (C1 and C2 both, digits dropped). */
    static final String JIT = "C CompilerThre";

    /** Share of {@code group} in the CPU used by all threads between two snapshots; 0 when none was used. */
    static double share(Map<String, Double> before, Map<String, Double> after, String group) {
        double total = 0;
        for (Map.Entry<String, Double> e : after.entrySet()) {
            total += e.getValue() - before.getOrDefault(e.getKey(), 0.0);
        }
        double mine = after.getOrDefault(group, 0.0) - before.getOrDefault(group, 0.0);
        return total <= 0 ? 0 : mine / total;
    }

    /** Prints the groups' CPU seconds between two snapshots, largest first, and their share. */
    static void print(Map<String, Double> before, Map<String, Double> after) {
        Map<String, Double> diff = new TreeMap<>();
        after.forEach((k, v) -> diff.put(k, v - before.getOrDefault(k, 0.0)));
        double total = diff.values().stream().mapToDouble(Double::doubleValue).sum();
        System.out.printf("CPU by thread group (from /proc, measured phase): %.2f s%n", total);
        diff.entrySet().stream()
                .filter(e -> e.getValue() >= 0.05)
                .sorted((a, b) -> Double.compare(b.getValue(), a.getValue()))
                .forEach(e -> System.out.printf("  %-18s %6.2f s  %4.1f %%%n", e.getKey(), e.getValue(),
                        100 * e.getValue() / total));
    }
}

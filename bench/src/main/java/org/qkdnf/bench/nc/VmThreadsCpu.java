package org.qkdnf.bench.nc;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * CPU time of the JVM's own threads, which no Java thread accounts for: the JIT compilers and the
 * garbage collector, read from {@code /proc/self/task} (Linux). In the one-JVM Nc bed the
 * compilers still took 25-40 % of the measured CPU after 10,000 and even 40,000 warm-up setups on a
 * shared machine, so a change in CPU per setup means little without this split. Elsewhere (no
 * {@code /proc}) it reads nothing and says so.
 *
 * <p>Not thread-safe: one per window, on the driver's thread.
 */
final class VmThreadsCpu {

    /** Clock ticks per second of {@code /proc/<pid>/task/<tid>/stat}: USER_HZ, 100 on Linux. */
    private static final long TICKS_PER_SECOND = 100;
    private static final Path TASKS = Path.of("/proc/self/task");

    private final Map<String, Long> start;

    private VmThreadsCpu() {
        start = read();
    }

    static VmThreadsCpu start() {
        return new VmThreadsCpu();
    }

    /** Whether this platform exposes the threads (Linux): otherwise every figure is zero. */
    static boolean available() {
        return Files.isDirectory(TASKS);
    }

    /** JIT and GC CPU nanoseconds since {@link #start}, as {"jit", "gc"}; threads gone meanwhile not counted. */
    long[] nanosSinceStart() {
        long jit = 0;
        long gc = 0;
        for (Map.Entry<String, Long> e : read().entrySet()) {
            String[] tidAndGroup = e.getKey().split(" ", 2);
            long spent = e.getValue() - start.getOrDefault(e.getKey(), 0L);
            if ("jit".equals(tidAndGroup[1])) {
                jit += spent;
            } else {
                gc += spent;
            }
        }
        return new long[] {jit * (1_000_000_000L / TICKS_PER_SECOND), gc * (1_000_000_000L / TICKS_PER_SECOND)};
    }

    /** "tid group" to user + system ticks, for the compiler and GC threads alive now. */
    private static Map<String, Long> read() {
        Map<String, Long> out = new HashMap<>();
        if (!available()) {
            return out;
        }
        try (DirectoryStream<Path> tasks = Files.newDirectoryStream(TASKS)) {
            for (Path task : tasks) {
                try {
                    String group = groupOf(Files.readString(task.resolve("comm")).trim());
                    if (group != null) {
                        out.put(task.getFileName() + " " + group, ticks(Files.readString(task.resolve("stat"))));
                    }
                } catch (IOException | RuntimeException gone) {
                    // the thread ended between the listing and the read: not counted
                }
            }
        } catch (IOException e) {
            return out;
        }
        return out;
    }

    /** HotSpot's names: "C1 CompilerThre", "C2 CompilerThre" (cut at 15); "GC Thread#0", "G1 Conc#0", "G1 Refine#0", ... */
    private static String groupOf(String comm) {
        if (comm.contains("CompilerThre")) {
            return "jit";
        }
        if (comm.startsWith("GC Thread") || comm.startsWith("G1 ") || comm.equals("VM Thread")) {
            return "gc";
        }
        return null;
    }

    /** utime + stime: fields 14 and 15, counted after the ")" that ends the command name. */
    private static long ticks(String stat) {
        String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
        return Long.parseLong(f[11]) + Long.parseLong(f[12]);
    }
}

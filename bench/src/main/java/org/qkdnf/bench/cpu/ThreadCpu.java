package org.qkdnf.bench.cpu;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

/**
 * CPU time of this JVM's threads over a window, for benchmarks whose beds run client, servers and
 * stores in one JVM: the process figure mixes them, the threads say where a change moved the cost.
 * Threads that start inside the window count from zero; threads that end inside it are not
 * counted (their time stays in the process figure, with GC, JIT and VM threads, which no Java
 * thread accounts for).
 *
 * <p>Not thread-safe: one per window, on the driver's thread.
 */
public final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();
    private static final com.sun.management.OperatingSystemMXBean OS =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private final Map<Long, Long> startNanos = new HashMap<>();
    private final long startProcessNanos;

    private ThreadCpu() {
        for (long id : THREADS.getAllThreadIds()) {
            long cpu = THREADS.getThreadCpuTime(id);
            if (cpu >= 0) {
                startNanos.put(id, cpu);
            }
        }
        startProcessNanos = processCpuNanos();
    }

    /** Reads every live thread's CPU time now: the window starts. */
    public static ThreadCpu start() {
        return new ThreadCpu();
    }

    /** This process's CPU time so far, every thread of it (GC and JIT included). */
    public static long processCpuNanos() {
        return OS.getProcessCpuTime();
    }

    /** The process's CPU nanoseconds since {@link #start}. */
    public long processNanos() {
        return processCpuNanos() - startProcessNanos;
    }

    /**
     * CPU nanoseconds since {@link #start} per group, largest first; {@code groupOf} maps a thread's
     * name to its group.
     */
    public Map<String, Long> nanosBy(Function<String, String> groupOf) {
        Map<String, Long> byGroup = new HashMap<>();
        for (ThreadInfo info : THREADS.getThreadInfo(THREADS.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = THREADS.getThreadCpuTime(info.getThreadId());
            if (cpu >= 0) {
                long spent = cpu - startNanos.getOrDefault(info.getThreadId(), 0L);
                byGroup.merge(groupOf.apply(info.getThreadName()), spent, Long::sum);
            }
        }
        Map<String, Long> sorted = new LinkedHashMap<>();
        byGroup.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    /**
     * Per thread group: the name with its numbers taken out ({@code key-service-prepare-3} and
     * {@code -7} count as {@code key-service-prepare-#}), so a pool of one kind is one group.
     */
    public Map<String, Long> nanosByGroup() {
        return nanosBy(ThreadCpu::group);
    }

    /** The group of a thread name: its numbers as {@code #}. */
    public static String group(String threadName) {
        return threadName.replaceAll("\\d+", "#");
    }
}

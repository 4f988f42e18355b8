package org.qkdnf.bench.etsi014;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time of this JVM's threads over a window, grouped by thread name with the numbers taken out
 * ({@code key-service-prepare-3} counts as {@code key-service-prepare-#}), so that one run says
 * which part of the bed (driver, ETSI 014 event loops, relay, key preparation, gRPC, stores) spends
 * the CPU per request. The rest of the process CPU (GC, JIT, VM threads) is what no Java thread
 * accounts for. Threads that start or end inside the window count only what was seen at both
 * ends, or from zero when they started inside it.
 */
final class ThreadCpu {

    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private final Map<Long, Long> startNanos = new HashMap<>();

    private ThreadCpu() {
    }

    /** Reads every live thread's CPU time now. */
    static ThreadCpu start() {
        ThreadCpu t = new ThreadCpu();
        for (long id : THREADS.getAllThreadIds()) {
            long cpu = THREADS.getThreadCpuTime(id);
            if (cpu >= 0) {
                t.startNanos.put(id, cpu);
            }
        }
        return t;
    }

    /** CPU seconds per thread group since {@link #start}, largest first. */
    Map<String, Double> secondsByGroup() {
        Map<String, Long> nanos = new HashMap<>();
        for (long id : THREADS.getAllThreadIds()) {
            long cpu = THREADS.getThreadCpuTime(id);
            ThreadInfo info = THREADS.getThreadInfo(id);
            if (cpu < 0 || info == null) {
                continue;
            }
            long spent = cpu - startNanos.getOrDefault(id, 0L);
            nanos.merge(info.getThreadName().replaceAll("\\d+", "#"), spent, Long::sum);
        }
        Map<String, Double> out = new LinkedHashMap<>();
        nanos.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> out.put(e.getKey(), e.getValue() / 1e9));
        return out;
    }
}

package org.qkdnf.bench.nc;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * CPU time over a window by thread group (the thread's name without its trailing number:
 * {@code qkd-key-services}, {@code group-commit-controller}, {@code grpc-default-worker-ELG-3}, ...).
 * The bed runs client, controller and key managers in one JVM, so the process figure mixes them;
 * the groups say where a change moved the cost. gRPC's Netty event loops are shared by every
 * channel and server of the JVM (Nc client, Sk clients, the controller's server), so they stay
 * one group. Threads that ended during the window are not counted.
 *
 * <p>Not thread-safe: one per window, on the driver's thread.
 */
final class ThreadGroupCpu {

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final Map<Long, Long> start = snapshot();

    /** CPU nanoseconds per group since this was made, largest first. */
    Map<String, Long> sinceStart() {
        Map<String, Long> byGroup = new HashMap<>();
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu < 0) {
                continue;
            }
            long delta = cpu - start.getOrDefault(info.getThreadId(), 0L);
            byGroup.merge(info.getThreadName().replaceAll("[-#]?\\d+$", ""), delta, Long::sum);
        }
        Map<String, Long> sorted = new LinkedHashMap<>();
        byGroup.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed())
                .forEach(e -> sorted.put(e.getKey(), e.getValue()));
        return sorted;
    }

    private Map<Long, Long> snapshot() {
        Map<Long, Long> cpu = new HashMap<>();
        for (long id : threads.getAllThreadIds()) {
            long t = threads.getThreadCpuTime(id);
            if (t >= 0) {
                cpu.put(id, t);
            }
        }
        return cpu;
    }
}

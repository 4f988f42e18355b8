package org.qkdnf.bench.sq;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * CPU time over a window, split between the controller's threads, the simulated agents' threads
 * and the rest of the JVM (GC, JIT, ...: the process total minus the two). Both sides share one
 * JVM and two shared cores, so the latency figures mix them; the split gives the controller's own
 * cost per update, which depends far less on what else the machine runs.
 *
 * <p>Roles are told by thread name: agents use {@code bench-agent-io*} and {@code bench-pacer*};
 * the controller's are gRPC's default Netty loops and executor (only the server uses them: the
 * agents have their own loops), the tuned server's {@code bench-sq-server-io*}, {@code sq-call-*} and
 * {@code qkd-topology-events}. Not thread-safe: one per window, on the driver's thread.
 */
final class ThreadCpuSplit {

    private static final List<String> CLIENT = List.of("bench-agent-io", "bench-pacer");
    private static final List<String> SERVER = List.of("grpc-default-worker-ELG", "grpc-default-boss-ELG",
            "grpc-default-executor", "bench-sq-server-io", "sq-call-", "qkd-topology-events");

    private final ThreadMXBean threads = ManagementFactory.getThreadMXBean();
    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final Map<Long, Long> startCpu = snapshot();
    private final long startProcessCpu = os.getProcessCpuTime();

    /** CPU nanoseconds since the split was made: {server, client, other}. */
    long[] sinceStart() {
        long server = 0;
        long client = 0;
        for (ThreadInfo info : threads.getThreadInfo(threads.getAllThreadIds())) {
            if (info == null) {
                continue;
            }
            long cpu = threads.getThreadCpuTime(info.getThreadId());
            if (cpu < 0) {
                continue;
            }
            long delta = cpu - startCpu.getOrDefault(info.getThreadId(), 0L);
            String name = info.getThreadName();
            if (CLIENT.stream().anyMatch(name::startsWith)) {
                client += delta;
            } else if (SERVER.stream().anyMatch(name::startsWith)) {
                server += delta;
            }
        }
        long total = os.getProcessCpuTime() - startProcessCpu;
        return new long[] {server, client, Math.max(0, total - server - client)};
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

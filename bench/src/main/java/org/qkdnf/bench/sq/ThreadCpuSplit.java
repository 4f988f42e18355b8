package org.qkdnf.bench.sq;

import java.util.List;
import java.util.Map;

import org.qkdnf.bench.cpu.ThreadCpu;

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

    private final ThreadCpu cpu = ThreadCpu.start();

    /** CPU nanoseconds since the split was made: {server, client, other}. */
    long[] sinceStart() {
        long server = 0;
        long client = 0;
        for (Map.Entry<String, Long> e : cpu.nanosBy(name -> name).entrySet()) {
            String name = e.getKey();
            if (CLIENT.stream().anyMatch(name::startsWith)) {
                client += e.getValue();
            } else if (SERVER.stream().anyMatch(name::startsWith)) {
                server += e.getValue();
            }
        }
        return new long[] {server, client, Math.max(0, cpu.processNanos() - server - client)};
    }
}

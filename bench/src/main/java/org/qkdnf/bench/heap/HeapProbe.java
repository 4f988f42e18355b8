package org.qkdnf.bench.heap;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;

/**
 * Used heap after full collections: the retained size of whatever is strongly reachable, give or
 * take the collector's own slack. {@link System#gc()} is a request, so it is repeated until the
 * figure stops falling. Meaningless with {@code -XX:+DisableExplicitGC}.
 */
final class HeapProbe {

    private static final int MAX_ROUNDS = 8;

    private final MemoryMXBean memory = ManagementFactory.getMemoryMXBean();

    long usedAfterGc() throws InterruptedException {
        long best = Long.MAX_VALUE;
        for (int i = 0; i < MAX_ROUNDS; i++) {
            System.gc();
            Thread.sleep(100);
            long used = memory.getHeapMemoryUsage().getUsed();
            if (used >= best * 0.999) {
                return Math.min(best, used);
            }
            best = used;
        }
        return best;
    }
}

package org.qkdnf.bench.sq;

import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;

/**
 * CPU and GC use over a window, so that a result can be read against what the machine gave it
 * (the 2 cores are shared with other work: a low figure may mean the JVM was starved).
 * Not thread-safe: one meter per window, used by the driver's thread.
 */
final class CpuMeter {

    private final com.sun.management.OperatingSystemMXBean os =
            (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    private final long startNanos = System.nanoTime();
    private final long startCpuNanos = os.getProcessCpuTime();
    private final long startGcMillis = gcMillis();

    CpuMeter() {
        os.getCpuLoad(); // the platform reports load since the previous call: start the window here
    }

    /** CPU the JVM used since the meter was made, in cores (2.0 = both cores all the time). */
    double processCores() {
        long wall = System.nanoTime() - startNanos;
        return wall <= 0 ? 0 : (double) (os.getProcessCpuTime() - startCpuNanos) / wall;
    }

    /** Recent whole-machine CPU use in [0, 1], or -1 when the platform does not say. */
    double machineBusy() {
        double load = os.getCpuLoad();
        return load < 0 ? -1 : load;
    }

    long gcMillisSince() {
        return gcMillis() - startGcMillis;
    }

    private static long gcMillis() {
        long sum = 0;
        for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
            sum += Math.max(0, gc.getCollectionTime());
        }
        return sum;
    }
}

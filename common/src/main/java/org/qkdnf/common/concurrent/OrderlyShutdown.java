package org.qkdnf.common.concurrent;

import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * Stops a thread that writes a store without interrupting it mid-write. Why: a thread interrupted
 * inside a {@link java.nio.channels.FileChannel} read, write or force closes the channel for every
 * user of it (NIO's interruptible channels), so a store whose writer was interrupted can no longer
 * commit or even close cleanly. The running task finishes; queued tasks still run unless they
 * are delayed or periodic (those are dropped); only a task still running at the deadline is
 * interrupted.
 */
public final class OrderlyShutdown {

    private OrderlyShutdown() {
    }

    /** Returns whether the executor terminated within {@code grace} (plus as long again after the interrupt). */
    public static boolean stop(ExecutorService executor, Duration grace) {
        if (executor instanceof ScheduledThreadPoolExecutor) {
            ScheduledThreadPoolExecutor scheduled = (ScheduledThreadPoolExecutor) executor;
            scheduled.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);
            scheduled.setContinueExistingPeriodicTasksAfterShutdownPolicy(false);
        }
        executor.shutdown();
        return awaitThenInterrupt(executor, grace);
    }

    /**
     * As {@link #stop}, but the tasks still queued are dropped rather than run (as
     * {@link ExecutorService#shutdownNow} drops them): for a thread with a backlog of requests
     * nobody will be answered for once the host stops.
     */
    public static boolean stopDroppingQueued(ThreadPoolExecutor executor, Duration grace) {
        executor.shutdown();
        executor.getQueue().clear();
        return awaitThenInterrupt(executor, grace);
    }

    private static boolean awaitThenInterrupt(ExecutorService executor, Duration grace) {
        try {
            if (executor.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS)) {
                return true;
            }
            executor.shutdownNow();
            return executor.awaitTermination(grace.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
            return false;
        }
    }
}

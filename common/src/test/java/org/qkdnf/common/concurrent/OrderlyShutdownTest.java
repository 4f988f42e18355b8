package org.qkdnf.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class OrderlyShutdownTest {

    /** A task that runs until released (or interrupted), recording an interrupt. */
    private static final class Blocker implements Runnable {
        final CountDownLatch running = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        final AtomicBoolean interrupted = new AtomicBoolean();

        @Override
        public void run() {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        }

        void releaseIn(long ms) {
            new Thread(() -> {
                try {
                    Thread.sleep(ms);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                release.countDown();
            }).start();
        }
    }

    @Test
    void theRunningTaskFinishesWithoutAnInterruptAndDelayedTasksAreDropped() throws Exception {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        Blocker task = new Blocker();
        AtomicBoolean delayedRan = new AtomicBoolean();
        thread.execute(task);
        thread.schedule(() -> delayedRan.set(true), 1, TimeUnit.HOURS);
        thread.scheduleWithFixedDelay(() -> { }, 1, 1, TimeUnit.HOURS);
        task.running.await();
        task.releaseIn(200);
        assertThat(OrderlyShutdown.stop(thread, Duration.ofSeconds(10))).isTrue();
        assertThat(task.interrupted).isFalse();
        assertThat(delayedRan).isFalse();
    }

    @Test
    void aTaskStuckPastTheGraceIsInterrupted() throws Exception {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        Blocker task = new Blocker();
        thread.execute(task);
        task.running.await();
        assertThat(OrderlyShutdown.stop(thread, Duration.ofMillis(100))).isTrue();
        assertThat(task.interrupted).isTrue();
    }

    @Test
    void queuedTasksCanBeDroppedWhileTheRunningOneFinishes() throws Exception {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        Blocker task = new Blocker();
        AtomicBoolean queuedRan = new AtomicBoolean();
        thread.execute(task);
        thread.execute(() -> queuedRan.set(true));
        task.running.await();
        task.releaseIn(200);
        assertThat(OrderlyShutdown.stopDroppingQueued(thread, Duration.ofSeconds(10))).isTrue();
        assertThat(task.interrupted).isFalse();
        assertThat(queuedRan).isFalse();
    }
}

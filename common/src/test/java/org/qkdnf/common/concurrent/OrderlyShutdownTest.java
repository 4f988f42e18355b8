package org.qkdnf.common.concurrent;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;

class OrderlyShutdownTest {

    @Test
    void theRunningTaskFinishesWithoutAnInterruptAndDelayedTasksAreDropped() throws Exception {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean delayedRan = new AtomicBoolean();
        thread.execute(() -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        thread.schedule(() -> delayedRan.set(true), 1, TimeUnit.HOURS);
        thread.scheduleWithFixedDelay(() -> { }, 1, 1, TimeUnit.HOURS);
        running.await();
        new Thread(() -> {
            sleepQuietly(200);
            release.countDown();
        }).start();
        assertThat(OrderlyShutdown.stop(thread, Duration.ofSeconds(10))).isTrue();
        assertThat(interrupted).isFalse();
        assertThat(delayedRan).isFalse();
    }

    @Test
    void aTaskStuckPastTheGraceIsInterrupted() throws Exception {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        CountDownLatch running = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        thread.execute(() -> {
            running.countDown();
            try {
                new CountDownLatch(1).await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        running.await();
        assertThat(OrderlyShutdown.stop(thread, Duration.ofMillis(100))).isTrue();
        assertThat(interrupted).isTrue();
    }

    @Test
    void queuedTasksCanBeDroppedWhileTheRunningOneFinishes() throws Exception {
        ScheduledThreadPoolExecutor thread = new ScheduledThreadPoolExecutor(1);
        CountDownLatch running = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        AtomicBoolean queuedRan = new AtomicBoolean();
        thread.execute(() -> {
            running.countDown();
            try {
                release.await();
            } catch (InterruptedException e) {
                interrupted.set(true);
            }
        });
        thread.execute(() -> queuedRan.set(true));
        running.await();
        new Thread(() -> {
            sleepQuietly(200);
            release.countDown();
        }).start();
        assertThat(OrderlyShutdown.stopDroppingQueued(thread, Duration.ofSeconds(10))).isTrue();
        assertThat(interrupted).isFalse();
        assertThat(queuedRan).isFalse();
    }

    private static void sleepQuietly(long ms) {
        try {
            Thread.sleep(ms);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

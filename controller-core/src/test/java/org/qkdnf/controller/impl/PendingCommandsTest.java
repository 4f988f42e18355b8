package org.qkdnf.controller.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PendingCommandsTest {

    private final ScheduledThreadPoolExecutor scheduler = new ScheduledThreadPoolExecutor(1);
    private final PendingCommands<Object, String> commands = new PendingCommands<>("key manager", scheduler);
    private final Object channel = new Object();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void commandsSentTogetherShareOneTimeoutTask() {
        commands.connected("n1", channel);
        for (int i = 0; i < 1000; i++) {
            commands.send("n1", "r" + i, Duration.ofSeconds(10), c -> { });
        }
        // One task per tick: a thousand sends take a few ticks at most, never one task each.
        assertThat(scheduler.getQueue().size()).isLessThan(100);
        assertThat(commands.size()).isEqualTo(1000);
    }

    @Test
    void unansweredCommandTimesOutNamingNodeAndRequest() throws Exception {
        commands.connected("n1", channel);
        long t0 = System.nanoTime();
        CompletableFuture<String> f = commands.send("n1", "r1", Duration.ofMillis(50), c -> { });
        Throwable e = failure(f);
        assertThat(System.nanoTime() - t0).isGreaterThanOrEqualTo(TimeUnit.MILLISECONDS.toNanos(50));
        assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(Status.fromThrowable(e).getDescription()).contains("node n1").contains("request r1");
        assertThat(commands.size()).isZero();
    }

    @Test
    void answeredCommandsDoNotTimeOutAndLateCommandsOfTheSameTickStill() throws Exception {
        commands.connected("n1", channel);
        List<CompletableFuture<String>> answered = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            answered.add(commands.send("n1", "a" + i, Duration.ofMillis(30), c -> { }));
        }
        CompletableFuture<String> unanswered = commands.send("n1", "u", Duration.ofMillis(30), c -> { });
        for (int i = 0; i < 10; i++) {
            assertThat(commands.onResult("n1", "a" + i, "ok")).isTrue();
        }
        assertThat(Status.fromThrowable(failure(unanswered)).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        for (CompletableFuture<String> f : answered) {
            assertThat(f.get()).isEqualTo("ok");
        }
        assertThat(commands.onResult("n1", "u", "late")).isFalse();
    }

    @Test
    void timeoutShorterThanATickStillFires() throws Exception {
        commands.connected("n1", channel);
        CompletableFuture<String> f = commands.send("n1", "r", Duration.ofNanos(1), c -> { });
        assertThat(Status.fromThrowable(failure(f)).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    }

    private static Throwable failure(CompletableFuture<String> f) throws InterruptedException {
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("completed normally");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (java.util.concurrent.TimeoutException e) {
            throw new AssertionError("neither answered nor timed out in 10 s");
        }
    }
}

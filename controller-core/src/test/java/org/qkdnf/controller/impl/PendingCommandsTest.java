package org.qkdnf.controller.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class PendingCommandsTest {

    private final ScheduledExecutorService scheduler = PendingCommands.newTimeoutScheduler("test-command-timeouts");
    private final PendingCommands<Object, String> commands = new PendingCommands<>("key manager", scheduler);
    private final Object channel = new Object();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    @Test
    void answeredCommandsLeaveNoTimeoutQueued() throws Exception {
        commands.connected("n1", channel);
        for (int i = 0; i < 1000; i++) {
            commands.send("n1", "r" + i, Duration.ofSeconds(10), c -> { });
        }
        assertThat(((ScheduledThreadPoolExecutor) scheduler).getQueue()).hasSize(1000);
        for (int i = 0; i < 1000; i++) {
            assertThat(commands.onResult("n1", "r" + i, "ok")).isTrue();
        }
        assertThat(((ScheduledThreadPoolExecutor) scheduler).getQueue()).isEmpty();
        assertThat(commands.size()).isZero();
    }

    @Test
    void unansweredCommandTimesOutNamingNodeAndRequest() throws Exception {
        commands.connected("n1", channel);
        CompletableFuture<String> f = commands.send("n1", "r1", Duration.ofMillis(50), c -> { });
        try {
            f.get(10, TimeUnit.SECONDS);
            throw new AssertionError("expected a timeout");
        } catch (ExecutionException e) {
            assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
            assertThat(Status.fromThrowable(e.getCause()).getDescription()).contains("node n1").contains("request r1");
        }
        assertThat(commands.size()).isZero();
    }
}

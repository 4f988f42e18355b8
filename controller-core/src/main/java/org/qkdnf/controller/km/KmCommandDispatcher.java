package org.qkdnf.controller.km;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Timestamp;

import io.grpc.Status;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends commands to connected key managers and completes each caller's future with the key
 * manager's {@link CommandResult}, or with DEADLINE_EXCEEDED (naming the node) when the timeout
 * passes first, or UNAVAILABLE when its stream ends. The Sk twin of
 * {@link org.qkdnf.controller.impl.CommandDispatcher}, same rules.
 *
 * <p>Threads: {@code channels} and {@code pending} are concurrent maps; a pending command is
 * finished exactly once by whichever of result, timeout or disconnect removes it from
 * {@code pending} first ({@code remove(key, value)} decides). Timeouts run on the injected
 * scheduler, which the host owns. Futures complete on the thread that finished them (a stream's
 * inbound thread or the scheduler): dependents must not block.
 */
final class KmCommandDispatcher {

    /** The sending side of a key manager's stream; thread-safe. */
    interface KmsChannel {
        /** @throws io.grpc.StatusRuntimeException UNAVAILABLE when the stream is closed */
        void sendCommand(KmsCommand command);
    }

    private static final Logger log = LoggerFactory.getLogger(KmCommandDispatcher.class);

    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final ConcurrentHashMap<String, KmsChannel> channels = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();

    private static final class Pending {
        final String qkdnId;
        final KmsChannel channel;
        final CompletableFuture<CommandResult> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        Pending(String qkdnId, KmsChannel channel) {
            this.qkdnId = qkdnId;
            this.channel = channel;
        }
    }

    KmCommandDispatcher(ScheduledExecutorService scheduler, Clock clock) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    void connected(String qkdnId, KmsChannel channel) {
        channels.put(qkdnId, channel);
    }

    /** Commands sent through {@code channel} fail with UNAVAILABLE; a newer channel stays. */
    void disconnected(String qkdnId, KmsChannel channel) {
        channels.remove(qkdnId, channel);
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (p.channel == channel && pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(Status.UNAVAILABLE
                        .withDescription("key manager of node " + qkdnId + " disconnected before answering")
                        .asRuntimeException());
            }
        }
    }

    boolean isConnected(String qkdnId) {
        return channels.containsKey(qkdnId);
    }

    /** Sends {@code command} (request_id and deadline filled in here); never throws. */
    CompletableFuture<CommandResult> submit(String qkdnId, KmsCommand command, Duration timeout) {
        KmsChannel channel = channels.get(qkdnId);
        if (channel == null) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription("key manager of node " + qkdnId + " is not connected").asRuntimeException());
        }
        String requestId = UUID.randomUUID().toString();
        Instant deadline = clock.instant().plus(timeout);
        KmsCommand toSend = command.toBuilder().setRequestId(requestId)
                .setDeadline(Timestamp.newBuilder().setSeconds(deadline.getEpochSecond()).setNanos(deadline.getNano()))
                .build();
        Pending p = new Pending(qkdnId, channel);
        pending.put(requestId, p);
        p.timeout = scheduler.schedule(() -> {
            if (pending.remove(requestId, p)) {
                p.future.completeExceptionally(Status.DEADLINE_EXCEEDED
                        .withDescription("key manager of node " + qkdnId + " did not answer request " + requestId
                                + " within " + timeout)
                        .asRuntimeException());
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        p.future.whenComplete((r, e) -> {
            ScheduledFuture<?> f = p.timeout;
            if (f != null) {
                f.cancel(false);
            }
            pending.remove(requestId, p);
        });
        try {
            channel.sendCommand(toSend);
        } catch (RuntimeException e) {
            if (pending.remove(requestId, p)) {
                p.future.completeExceptionally(Status.UNAVAILABLE
                        .withDescription("key manager of node " + qkdnId + " is not reachable").withCause(e)
                        .asRuntimeException());
            }
        }
        return p.future;
    }

    /** A key manager answered; answers to unknown requests or from another node are dropped. */
    boolean onResult(String fromQkdnId, CommandResult result) {
        Pending p = pending.get(result.getRequestId());
        if (p == null) {
            log.debug("result for unknown or finished request {} from {}", result.getRequestId(), fromQkdnId);
            return false;
        }
        if (!p.qkdnId.equals(fromQkdnId)) {
            log.warn("node {} answered request {} that was sent to {}; ignored", fromQkdnId,
                    result.getRequestId(), p.qkdnId);
            return false;
        }
        return pending.remove(result.getRequestId(), p) && p.future.complete(result);
    }

    int pendingCount() {
        return pending.size();
    }
}

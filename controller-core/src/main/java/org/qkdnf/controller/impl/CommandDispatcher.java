package org.qkdnf.controller.impl;

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
import java.util.function.Supplier;

import com.google.protobuf.Timestamp;

import io.grpc.Status;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdCommandService;
import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends commands to connected agents and completes each caller's future with the agent's
 * {@link CommandResult}, or with DEADLINE_EXCEEDED when the timeout passes first.
 *
 * <p>Threads: {@code agents} and {@code pending} are concurrent maps; a pending command is finished
 * exactly once by whichever of result, timeout or disconnect removes it from {@code pending} first
 * ({@code remove(key, value)} decides). Timeouts run on the injected scheduler, which the host owns.
 */
public final class CommandDispatcher implements QkdCommandService {

    /** The sending side of an agent's stream. Implementations must be thread-safe. */
    public interface AgentChannel {
        /**
         * Queues the command on the stream.
         *
         * @throws io.grpc.StatusRuntimeException UNAVAILABLE when the stream is closed
         */
        void sendCommand(ControllerCommand command);
    }

    private static final Logger log = LoggerFactory.getLogger(CommandDispatcher.class);

    private final ScheduledExecutorService scheduler;
    private final Supplier<ControllerSettings> settings;
    private final Clock clock;
    private final ConcurrentHashMap<String, AgentChannel> agents = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Pending> pending = new ConcurrentHashMap<>();

    private static final class Pending {
        final String qkdnId;
        final AgentChannel channel;
        final CompletableFuture<CommandResult> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        Pending(String qkdnId, AgentChannel channel) {
            this.qkdnId = qkdnId;
            this.channel = channel;
        }
    }

    /**
     * @param scheduler runs the timeouts
     * @param settings gives the default command timeout (read at each submit, so it follows changes)
     */
    public CommandDispatcher(ScheduledExecutorService scheduler, Supplier<ControllerSettings> settings, Clock clock) {
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The agent of {@code qkdnId} is reachable through {@code channel} (replacing an older one). */
    public void agentConnected(String qkdnId, AgentChannel channel) {
        agents.put(qkdnId, channel);
    }

    /**
     * The stream behind {@code channel} ended: commands sent through it will never be answered and
     * fail with UNAVAILABLE. A newer channel of the same node stays registered.
     */
    public void agentDisconnected(String qkdnId, AgentChannel channel) {
        agents.remove(qkdnId, channel);
        for (Map.Entry<String, Pending> e : pending.entrySet()) {
            Pending p = e.getValue();
            if (p.channel == channel && pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(Status.UNAVAILABLE
                        .withDescription("agent of node " + qkdnId + " disconnected before answering")
                        .asRuntimeException());
            }
        }
    }

    /** Whether an agent of that node is connected now. */
    public boolean isConnected(String qkdnId) {
        return agents.containsKey(qkdnId);
    }

    @Override
    public CompletableFuture<CommandResult> submit(String qkdnId, ControllerCommand command, Duration timeout) {
        try {
            return doSubmit(qkdnId, command, timeout);
        } catch (io.grpc.StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    private CompletableFuture<CommandResult> doSubmit(String qkdnId, ControllerCommand command, Duration timeout) {
        if (!QkdIds.isUuid(qkdnId)) {
            throw invalid("qkdn_id: not a UUID");
        }
        if (command == null) {
            throw invalid("command: required");
        }
        Duration t = timeout == null ? settings.get().commandTimeout() : timeout;
        if (t.isNegative() || t.isZero()) {
            throw invalid("timeout: must be positive");
        }
        String error = CommandValidation.validate(command);
        if (error != null) {
            throw invalid(error);
        }
        String requestId = command.getRequestId().isEmpty() ? UUID.randomUUID().toString() : command.getRequestId();
        AgentChannel channel = agents.get(qkdnId);
        if (channel == null) {
            throw Status.UNAVAILABLE.withDescription("agent of node " + qkdnId + " is not connected")
                    .asRuntimeException();
        }
        Instant deadline = clock.instant().plus(t);
        ControllerCommand toSend = command.toBuilder()
                .setRequestId(requestId)
                .setDeadline(Timestamp.newBuilder().setSeconds(deadline.getEpochSecond()).setNanos(deadline.getNano()))
                .build();
        Pending p = new Pending(qkdnId, channel);
        if (pending.putIfAbsent(requestId, p) != null) {
            throw Status.ALREADY_EXISTS.withDescription("request_id: " + requestId + " is already pending")
                    .asRuntimeException();
        }
        p.timeout = scheduler.schedule(() -> {
            if (pending.remove(requestId, p)) {
                p.future.completeExceptionally(Status.DEADLINE_EXCEEDED
                        .withDescription("node " + qkdnId + " did not answer request " + requestId + " within " + t)
                        .asRuntimeException());
            }
        }, t.toNanos(), TimeUnit.NANOSECONDS);
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
                        .withDescription("agent of node " + qkdnId + " is not reachable").withCause(e)
                        .asRuntimeException());
            }
        }
        return p.future;
    }

    /**
     * An agent answered. Results for unknown (finished, timed out) requests are dropped, and so
     * are results from another node than the one the command went to.
     *
     * @return whether the result completed a pending command
     */
    public boolean onResult(String fromQkdnId, CommandResult result) {
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
        if (pending.remove(result.getRequestId(), p)) {
            return p.future.complete(result);
        }
        return false;
    }

    /** Number of commands awaiting an answer. */
    public int pendingCount() {
        return pending.size();
    }

    private static io.grpc.StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}

package org.qkdnf.controller.impl;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;
import java.util.function.Supplier;

import com.google.protobuf.Timestamp;

import io.grpc.Status;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdCommandService;
import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;

/**
 * Sends commands to connected agents (Sq) and completes each caller's future with the agent's
 * {@link CommandResult}, or with DEADLINE_EXCEEDED when the timeout passes first, or UNAVAILABLE
 * when its stream ends: validation and the command's request id and deadline here, the pending
 * commands in {@link PendingCommands} (shared with the key managers' Sk).
 *
 * <p>Threads: as {@link PendingCommands}; any thread may submit.
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

    private final Supplier<ControllerSettings> settings;
    private final Clock clock;
    private final PendingCommands<AgentChannel, CommandResult> pending;

    /**
     * @param scheduler runs the timeouts
     * @param settings gives the default command timeout (read at each submit, so it follows changes)
     */
    public CommandDispatcher(ScheduledExecutorService scheduler, Supplier<ControllerSettings> settings, Clock clock) {
        this.pending = new PendingCommands<>("agent", scheduler);
        this.settings = Objects.requireNonNull(settings, "settings");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The agent of {@code qkdnId} is reachable through {@code channel} (replacing an older one). */
    public void agentConnected(String qkdnId, AgentChannel channel) {
        pending.connected(qkdnId, channel);
    }

    /**
     * The stream behind {@code channel} ended: commands sent through it will never be answered and
     * fail with UNAVAILABLE. A newer channel of the same node stays registered.
     */
    public void agentDisconnected(String qkdnId, AgentChannel channel) {
        pending.disconnected(qkdnId, channel);
    }

    /** Whether an agent of that node is connected now. */
    public boolean isConnected(String qkdnId) {
        return pending.isConnected(qkdnId);
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
        Instant deadline = clock.instant().plus(t);
        ControllerCommand toSend = command.toBuilder()
                .setRequestId(requestId)
                .setDeadline(Timestamp.newBuilder().setSeconds(deadline.getEpochSecond()).setNanos(deadline.getNano()))
                .build();
        return pending.send(qkdnId, requestId, t, channel -> channel.sendCommand(toSend));
    }

    /**
     * An agent answered. Results for unknown (finished, timed out) requests are dropped, and so
     * are results from another node than the one the command went to.
     *
     * @return whether the result completed a pending command
     */
    public boolean onResult(String fromQkdnId, CommandResult result) {
        return pending.onResult(fromQkdnId, result.getRequestId(), result);
    }

    /** Number of commands awaiting an answer. */
    public int pendingCount() {
        return pending.size();
    }

    private static io.grpc.StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }
}

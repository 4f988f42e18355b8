package org.qkdnf.controller.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;

/** Sends commands to agents over their Sq streams. Thread-safe. */
public interface QkdCommandService {

    /**
     * Sends a command to the node's agent. An empty {@code request_id} is filled with a fresh
     * UUID; the {@code deadline} field is set from {@code timeout}.
     *
     * @param timeout how long to wait for the agent's answer; null means the settings' default
     * @return completes with the agent's {@link CommandResult} (whatever its code), or exceptionally
     *         with a {@link io.grpc.StatusRuntimeException}: UNAVAILABLE (agent not connected, or it
     *         disconnected before answering), DEADLINE_EXCEEDED (no answer within timeout),
     *         INVALID_ARGUMENT (bad command, the message names the field), ALREADY_EXISTS (the
     *         request_id is already pending)
     */
    CompletableFuture<CommandResult> submit(String qkdnId, ControllerCommand command, Duration timeout);
}

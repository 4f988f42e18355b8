package org.qkdnf.controller.app.keyservice;

import java.time.Duration;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** Waiting for a key-service call from a thread that must answer synchronously (CLI, REST). */
public final class KeyServiceCalls {

    /** Longer than a forwarded call's own limit, so the leader's answer (or UNAVAILABLE) comes first. */
    public static final Duration WAIT = KeyServiceComponent.FORWARD_TIMEOUT.plusSeconds(15);

    private KeyServiceCalls() {
    }

    /** The call's result, or its failure as a gRPC status (DEADLINE_EXCEEDED after {@link #WAIT}). */
    public static <T> T await(CompletableFuture<T> call) {
        try {
            return call.get(WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw Status.fromThrowable(e.getCause()).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("no answer from the key services in " + WAIT)
                    .asRuntimeException();
        } catch (CancellationException e) {
            throw Status.CANCELLED.withDescription("cancelled").asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("interrupted").asRuntimeException();
        }
    }

    /** A short human text of a failed call: code and description, which names the field. */
    public static String describe(StatusRuntimeException e) {
        Status s = e.getStatus();
        return s.getCode() + (s.getDescription() == null ? "" : ": " + s.getDescription());
    }
}

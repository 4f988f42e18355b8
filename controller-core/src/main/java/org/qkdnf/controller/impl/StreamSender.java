package org.qkdnf.controller.impl;

import java.util.Objects;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's sending side of one southbound stream (an agent's Sq or a key manager's Sk):
 * messages from any thread, closing once, whoever closes first.
 *
 * <p>Threads: every use of the observer holds {@code lock} (a StreamObserver is not thread-safe),
 * and {@code closed} (guarded by it) makes closing idempotent.
 *
 * @param <T> the message type the controller sends
 */
public final class StreamSender<T> {

    private static final Logger log = LoggerFactory.getLogger(StreamSender.class);

    private final ServerCallStreamObserver<T> out;
    private final String what;
    private final Object lock = new Object();
    private boolean closed; // guarded by lock

    /** @param what the stream, for messages: "agent stream", "key manager stream" */
    public StreamSender(ServerCallStreamObserver<T> out, String what) {
        this.out = Objects.requireNonNull(out, "out");
        this.what = Objects.requireNonNull(what, "what");
    }

    /** @throws io.grpc.StatusRuntimeException UNAVAILABLE when the stream is closed or cancelled */
    public void send(T message) {
        synchronized (lock) {
            if (closed || out.isCancelled()) {
                throw Status.UNAVAILABLE.withDescription(what + " closed").asRuntimeException();
            }
            out.onNext(message);
        }
    }

    /**
     * Ends the stream with {@code status} (logged unless ABORTED or UNAVAILABLE, which are routine);
     * {@code peer} names the other end in the log. False when it was already closed.
     */
    public boolean closeWith(Status status, String peer) {
        synchronized (lock) {
            if (closed) {
                return false;
            }
            closed = true;
            if (status.getCode() != Status.Code.ABORTED && status.getCode() != Status.Code.UNAVAILABLE) {
                log.warn("closing {} of node {}: {} {}", what, peer, status.getCode(), status.getDescription());
            }
            try {
                out.onError(status.asRuntimeException());
            } catch (RuntimeException e) {
                log.debug("stream already gone", e);
            }
            return true;
        }
    }

    /** The other end completed its side: complete ours. */
    public void complete() {
        synchronized (lock) {
            if (!closed) {
                closed = true;
                out.onCompleted();
            }
        }
    }

    public boolean isClosed() {
        synchronized (lock) {
            return closed;
        }
    }
}

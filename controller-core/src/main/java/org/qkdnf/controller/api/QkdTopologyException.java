package org.qkdnf.controller.api;

import java.util.Objects;

/** A rejected topology change; {@link #reason()} tells the caller which status to report. */
public final class QkdTopologyException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why the change was rejected; each maps onto the gRPC status of the same meaning. */
    public enum Reason {
        /** A field is malformed; the message names it. gRPC INVALID_ARGUMENT. */
        INVALID_ARGUMENT,
        /** An id names nothing known. gRPC NOT_FOUND. */
        NOT_FOUND,
        /** The caller speaks for a node it is not. gRPC PERMISSION_DENIED. */
        PERMISSION_DENIED,
        /** The change contradicts what the other end of a link reported. gRPC FAILED_PRECONDITION. */
        CONFLICT
    }

    private final Reason reason;

    public QkdTopologyException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}

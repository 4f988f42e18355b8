package org.qkdnf.kms.api;

import java.util.Objects;

/**
 * A pool operation refused or failed. The {@link Reason} says which, so a service can map it to
 * its status code (the gRPC code each reason will map to is named on it); the message names the
 * pool and the field or index at fault and never contains key material.
 */
public final class KeyPoolException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Why an operation was refused. */
    public enum Reason {
        /** No pool is defined for the link. {@code NOT_FOUND}. */
        UNKNOWN_POOL,
        /**
         * Appending would take the pool above its maximum; nothing of the call was stored, the
         * producer keeps the blocks and offers them again after consumption. {@code RESOURCE_EXHAUSTED}.
         */
        POOL_FULL,
        /** A block's index is not the next one expected (a gap or a reordering). {@code FAILED_PRECONDITION}. */
        OUT_OF_ORDER,
        /** A block has the index of a stored block but another id or size. {@code FAILED_PRECONDITION}. */
        BLOCK_CONFLICT,
        /** The pool holds less key than asked for; nothing was taken. {@code RESOURCE_EXHAUSTED}. */
        INSUFFICIENT_KEY,
        /** A range starts behind the watermark: that key was consumed already. {@code FAILED_PRECONDITION}. */
        REPLAY,
        /** A range does not fit this end's blocks (other block id, offset past the block). {@code FAILED_PRECONDITION}. */
        RANGE_MISMATCH,
        /** The store file could not be written or synced; the store refuses all further work. {@code UNAVAILABLE}. */
        STORAGE_FAILURE,
        /** A stored block failed authentication: the file was altered or damaged. {@code DATA_LOSS}. */
        CORRUPT,
        /** The store was closed. {@code UNAVAILABLE}. */
        CLOSED
    }

    private final Reason reason;

    public KeyPoolException(Reason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public KeyPoolException(Reason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason");
    }

    public Reason reason() {
        return reason;
    }
}

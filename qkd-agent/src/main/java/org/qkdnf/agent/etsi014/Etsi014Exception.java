package org.qkdnf.agent.etsi014;

/**
 * A device's ETSI GS QKD 014 interface refused a request or could not be reached. The message
 * carries the HTTP status and the standard's error {@code message}, never key material.
 */
public final class Etsi014Exception extends Exception {

    private static final long serialVersionUID = 1L;

    /** What went wrong, and so what the caller should do. */
    public enum Kind {
        /**
         * 400: the request was wrong, or (dec_keys) the key_ID is unknown or already taken. At the
         * slave end a device may simply not have the key yet, so the driver retries with back-off.
         */
        BAD_REQUEST,
        /** 401: the device does not know this SAE, or not this SAE pair: a configuration error. */
        UNAUTHORIZED,
        /** 503: the device cannot serve now (no key yet, link down). Retry after a back-off. */
        UNAVAILABLE,
        /** No answer: connection refused, TLS failure, timeout, or another HTTP status. */
        UNREACHABLE,
        /**
         * An answer that breaks ETSI GS QKD 014: not its JSON, a key_ID that is no UUID, keys of
         * the wrong size or number.
         */
        PROTOCOL
    }

    private final Kind kind;
    private final int httpStatus;

    public Etsi014Exception(Kind kind, int httpStatus, String message, Throwable cause) {
        super(message, cause);
        this.kind = kind;
        this.httpStatus = httpStatus;
    }

    public Kind kind() {
        return kind;
    }

    /** The HTTP status, or 0 when there was no HTTP answer. */
    public int httpStatus() {
        return httpStatus;
    }
}

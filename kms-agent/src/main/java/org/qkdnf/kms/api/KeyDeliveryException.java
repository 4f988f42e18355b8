package org.qkdnf.kms.api;

/**
 * A key request that cannot be served, with the ETSI GS QKD 014 error class it maps to. The
 * message names the offending field and never contains key material.
 */
public final class KeyDeliveryException extends Exception {
    private static final long serialVersionUID = 1L;

    /** ETSI GS QKD 014's error classes. */
    public enum Reason {
        /** 400: the request is malformed or asks for what the status does not allow. */
        BAD_REQUEST(400),
        /** 401: the SAE may not have this key. */
        UNAUTHORIZED(401),
        /** 503: the KME cannot serve it now (no key available, key service down). */
        UNAVAILABLE(503);

        private final int httpStatus;

        Reason(int httpStatus) {
            this.httpStatus = httpStatus;
        }

        public int httpStatus() {
            return httpStatus;
        }
    }

    private final Reason reason;

    public KeyDeliveryException(Reason reason, String message) {
        super(message, null, false, false);
        this.reason = reason;
    }

    public Reason reason() {
        return reason;
    }
}

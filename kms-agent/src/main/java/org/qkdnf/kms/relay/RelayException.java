package org.qkdnf.kms.relay;

import java.util.Objects;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * A relay that failed, with the gRPC status code that says why and a message that names the hop
 * ({@code "hop 2 (node X -> node Y, link L): ..."}) and the field at fault. The message never
 * contains key material. Thrown by (or completes the futures of) {@link RelayNode#relay}; a
 * {@link RelayedKeySink} may throw it to refuse a key with a chosen code.
 */
public final class RelayException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final Status.Code code;
    private final int hopIndex;

    /**
     * @param code     the gRPC status code, not OK
     * @param hopIndex the hop the failure belongs to, from 1; 0 when it is not tied to a hop
     * @param message  what failed, naming the hop and field
     */
    public RelayException(Status.Code code, int hopIndex, String message) {
        super(message);
        this.code = Objects.requireNonNull(code, "code");
        if (code == Status.Code.OK) {
            throw new IllegalArgumentException("code: a failure cannot be OK");
        }
        this.hopIndex = hopIndex;
    }

    /** Shorthand for a failure on {@code hop}: the message is prefixed with the hop's description. */
    static RelayException at(Hop hop, Status.Code code, String what) {
        return new RelayException(code, hop.index(), hop + ": " + what);
    }

    public Status.Code code() {
        return code;
    }

    /** The hop whose receiver (or sender) detected the failure, from 1; 0 when not tied to a hop. */
    public int hopIndex() {
        return hopIndex;
    }

    /** The failure as a gRPC status. */
    public Status toStatus() {
        return Status.fromCode(code).withDescription(getMessage());
    }

    /** The failure as an exception to fail a gRPC call with. */
    public StatusRuntimeException toStatusException() {
        return toStatus().asRuntimeException();
    }
}

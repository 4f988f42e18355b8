package org.qkdnf.controller.app.keyservice;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.MessageLite;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/**
 * The wire form of requests forwarded to the key-service leader and of its answers, over ONOS's
 * ClusterCommunicationService: one byte naming the operation, then the Nc request message; the
 * answer is one byte (0 ok, 1 error), then the Nc response message or a gRPC status code and
 * description. Only protobuf bytes cross: ONOS's Kryo never sees our protobuf 4 classes. The
 * answer's form also carries Sk commands forwarded to the instance holding a key manager's stream.
 */
public final class ForwardedRequests {

    enum Op { CREATE, MODIFY, DELETE, QUERY_PATHS, TOPOLOGY }

    private static final int OK = 0;
    private static final int ERROR = 1;

    /** A decoded request: the operation and its message bytes. */
    static final class Request {
        final Op op;
        final byte[] message;

        Request(Op op, byte[] message) {
            this.op = op;
            this.message = message;
        }
    }

    private ForwardedRequests() {
    }

    static byte[] request(Op op, MessageLite message) {
        byte[] m = message.toByteArray();
        byte[] out = new byte[m.length + 1];
        out[0] = (byte) op.ordinal();
        System.arraycopy(m, 0, out, 1, m.length);
        return out;
    }

    static Request decodeRequest(byte[] bytes) {
        if (bytes.length == 0 || bytes[0] < 0 || bytes[0] >= Op.values().length) {
            throw Status.INVALID_ARGUMENT.withDescription("forwarded request: unknown operation").asRuntimeException();
        }
        byte[] m = new byte[bytes.length - 1];
        System.arraycopy(bytes, 1, m, 0, m.length);
        return new Request(Op.values()[bytes[0]], m);
    }

    public static byte[] ok(MessageLite response) {
        byte[] m = response.toByteArray();
        byte[] out = new byte[m.length + 1];
        out[0] = OK;
        System.arraycopy(m, 0, out, 1, m.length);
        return out;
    }

    public static byte[] error(Throwable t) {
        Status s = Status.fromThrowable(t);
        if (s.getCode() == Status.Code.UNKNOWN) {
            s = Status.INTERNAL.withDescription("internal error");  // never a stack trace or cause across
        }
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeByte(ERROR);
            out.writeInt(s.getCode().value());
            out.writeUTF(s.getDescription() == null ? "" : s.getDescription());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    /** Parses a reply into the response message, or throws the answering instance's status. */
    public static <T> T decodeReply(byte[] bytes, Parser<T> parser) {
        if (bytes.length > 0 && bytes[0] == OK) {
            try {
                return parser.parse(java.util.Arrays.copyOfRange(bytes, 1, bytes.length));
            } catch (InvalidProtocolBufferException e) {
                throw Status.INTERNAL.withDescription("forwarded reply does not parse").asRuntimeException();
            }
        }
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            in.readByte();
            Status.Code code = Status.fromCodeValue(in.readInt()).getCode();
            throw Status.fromCode(code).withDescription(in.readUTF()).asRuntimeException();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("forwarded reply does not parse").asRuntimeException();
        }
    }

    /** A protobuf parser (Parser#parseFrom without the generics of protobuf's own). */
    public interface Parser<T> {
        T parse(byte[] bytes) throws InvalidProtocolBufferException;
    }

    static StatusRuntimeException unavailable(String message) {
        return Status.UNAVAILABLE.withDescription(message).asRuntimeException();
    }
}

package org.qkdnf.kms.relay;

import java.io.IOException;
import java.io.InputStream;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.UnsafeByteOperations;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import org.qkdnf.proto.keyrelay.v1.KeyRelayServiceGrpc;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;

/**
 * Parses an incoming {@link RelayHopRequest} so that its {@code ciphertext} shares the array the
 * message was read into, instead of being copied out of it.
 *
 * <p>Why: gRPC's protobuf marshaller reads a message into a reused per-thread buffer and the
 * parser then copies every {@code bytes} field out of it, so a 1 MiB ciphertext was copied twice
 * on arrival (netty's buffers into that buffer, then into its own ByteString) before the receiver
 * even read it. Here the message is read once into an array of its own (exactly its size, never
 * reused, so aliasing it is safe) and parsed with aliasing on. Responses and other streams keep
 * the standard marshaller.
 *
 * <p>Stateless and thread-safe.
 */
final class InboundHopMarshaller implements MethodDescriptor.Marshaller<RelayHopRequest> {

    private final MethodDescriptor.Marshaller<RelayHopRequest> standard =
            ProtoUtils.marshaller(RelayHopRequest.getDefaultInstance());
    private final int maxMessageBytes;

    /** @param maxMessageBytes above this a message is parsed the standard way (gRPC refuses it anyway) */
    InboundHopMarshaller(int maxMessageBytes) {
        this.maxMessageBytes = maxMessageBytes;
    }

    /**
     * {@code service} (the Kk service, possibly intercepted) with its relayHop method reading
     * requests through this marshaller; the call handler, and so the interceptors, stay as they were.
     */
    static ServerServiceDefinition apply(ServerServiceDefinition service, int maxMessageBytes) {
        MethodDescriptor<RelayHopRequest, ?> standard = KeyRelayServiceGrpc.getRelayHopMethod();
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            if (m.getMethodDescriptor().getFullMethodName().equals(standard.getFullMethodName())) {
                b.addMethod(aliased(m, new InboundHopMarshaller(maxMessageBytes)));
            } else {
                b.addMethod(m);
            }
        }
        return b.build();
    }

    @SuppressWarnings("unchecked")
    private static <ResT> ServerMethodDefinition<RelayHopRequest, ResT> aliased(ServerMethodDefinition<?, ?> m,
                                                                            InboundHopMarshaller marshaller) {
        ServerMethodDefinition<RelayHopRequest, ResT> typed = (ServerMethodDefinition<RelayHopRequest, ResT>) m;
        MethodDescriptor<RelayHopRequest, ResT> d = typed.getMethodDescriptor().toBuilder()
                .setRequestMarshaller(marshaller)
                .build();
        ServerCallHandler<RelayHopRequest, ResT> handler = typed.getServerCallHandler();
        return ServerMethodDefinition.create(d, handler);
    }

    @Override
    public InputStream stream(RelayHopRequest value) {
        return standard.stream(value);
    }

    @Override
    public RelayHopRequest parse(InputStream in) {
        try {
            int size = in instanceof KnownLength ? in.available() : -1;
            if (size <= 0 || size > maxMessageBytes) {
                return standard.parse(in);
            }
            byte[] buf = new byte[size];
            int n = 0;
            while (n < size) {
                int r = in.read(buf, n, size - n);
                if (r < 0) {
                    throw new IOException("message ended after " + n + " of " + size + " bytes");
                }
                n += r;
            }
            // the array is this message's alone and never written again: the ByteStrings may share it
            CodedInputStream cis = UnsafeByteOperations.unsafeWrap(buf).newCodedInput();
            cis.enableAliasing(true);
            RelayHopRequest request = RelayHopRequest.parseFrom(cis);
            cis.checkLastTagWas(0);
            return request;
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        }
    }
}

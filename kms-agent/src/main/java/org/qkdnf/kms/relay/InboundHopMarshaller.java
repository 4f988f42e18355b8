package org.qkdnf.kms.relay;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.CodedOutputStream;
import com.google.protobuf.WireFormat;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import org.qkdnf.proto.keyrelay.v1.KeyRelayServiceGrpc;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;

/**
 * Parses an incoming {@link RelayHopRequest} with its {@code ciphertext} read once, straight from
 * the stream into arrays of {@link ChunkedBytes#CHUNK_BYTES} that the message's ByteString
 * shares, instead of being copied.
 *
 * <p>Why: gRPC's protobuf marshaller reads a message into a reused per-thread buffer and the
 * parser then copies every {@code bytes} field out of it, so a 1 MiB ciphertext was copied twice
 * on arrival (netty's buffers into that buffer, then into its own ByteString). Reading the whole
 * message into one array of its own saved a copy but made it a G1 humongous object at 1 MiB
 * (see {@link ChunkedBytes}). Here the other fields, a few hundred bytes, are copied out as they
 * come and parsed the standard way, and the ciphertext's bytes go into chunks no one else holds
 * (never written again, so aliasing them is safe). As in protobuf, the last {@code ciphertext}
 * field of the message wins. Responses and other streams keep the standard marshaller.
 *
 * <p>Stateless and thread-safe.
 */
final class InboundHopMarshaller implements MethodDescriptor.Marshaller<RelayHopRequest> {

    /** A tag is the field number shifted left by three bits, or the wire type (protobuf's encoding). */
    private static final int CIPHERTEXT_TAG =
            RelayHopRequest.CIPHERTEXT_FIELD_NUMBER << 3 | WireFormat.WIRETYPE_LENGTH_DELIMITED;

    private final MethodDescriptor.Marshaller<RelayHopRequest> standard =
            ProtoUtils.marshaller(RelayHopRequest.getDefaultInstance());

    /**
     * {@code service} (the Kk service, possibly intercepted) with its relayHop method reading
     * requests through this marshaller; the call handler, and so the interceptors, stay as they were.
     */
    static ServerServiceDefinition apply(ServerServiceDefinition service) {
        MethodDescriptor<RelayHopRequest, ?> standard = KeyRelayServiceGrpc.getRelayHopMethod();
        ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
        for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
            if (m.getMethodDescriptor().getFullMethodName().equals(standard.getFullMethodName())) {
                b.addMethod(aliased(m, new InboundHopMarshaller()));
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
            CodedInputStream cis = CodedInputStream.newInstance(in);
            ByteArrayOutputStream otherFields = new ByteArrayOutputStream(512);
            CodedOutputStream out = CodedOutputStream.newInstance(otherFields);
            ChunkedBytes ciphertext = null;
            for (int tag = cis.readTag(); tag != 0; tag = cis.readTag()) {
                if (tag == CIPHERTEXT_TAG) {
                    ciphertext = readChunked(cis);
                } else {
                    cis.skipField(tag, out);
                }
            }
            out.flush();
            RelayHopRequest.Builder request = RelayHopRequest.newBuilder().mergeFrom(otherFields.toByteArray());
            if (ciphertext != null) {
                request.setCiphertext(ciphertext.asByteString());
            }
            return request.build();
        } catch (IOException e) {
            throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
        }
    }

    /** A length-delimited field's bytes, after its tag. */
    private static ChunkedBytes readChunked(CodedInputStream cis) throws IOException {
        int length = cis.readRawVarint32();
        if (length < 0) {
            throw new IOException("ciphertext: negative length " + length);
        }
        byte[][] chunks = new byte[ChunkedBytes.chunkCount(length)][];
        for (int i = 0; i < chunks.length; i++) {
            // each readRawBytes fails on a message that ends early, before allocating more than it holds
            chunks[i] = cis.readRawBytes(Math.min(ChunkedBytes.CHUNK_BYTES, length - i * ChunkedBytes.CHUNK_BYTES));
        }
        return new ChunkedBytes(chunks, length);
    }
}

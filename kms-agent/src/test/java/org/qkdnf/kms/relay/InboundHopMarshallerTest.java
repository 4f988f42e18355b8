package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayInputStream;
import java.io.InputStream;
import java.util.Arrays;
import java.util.UUID;

import com.google.protobuf.ByteString;
import io.grpc.KnownLength;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.Test;
import org.qkdnf.proto.keyrelay.v1.KeyRelayServiceGrpc;
import org.qkdnf.proto.keyrelay.v1.PoolRange;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;

class InboundHopMarshallerTest {

    private final InboundHopMarshaller marshaller = new InboundHopMarshaller();

    /** What gRPC hands a marshaller: a stream that knows its length. */
    private static final class Known extends ByteArrayInputStream implements KnownLength {
        Known(byte[] b) {
            super(b);
        }
    }

    private static RelayHopRequest request(int ciphertextBytes) {
        byte[] ct = new byte[ciphertextBytes];
        new java.util.Random(7).nextBytes(ct);
        return RelayHopRequest.newBuilder().setServiceId(UUID.randomUUID().toString()).setSequence(3)
                .addRouteQkdnIds("kme-a").addRouteQkdnIds("kme-b").setHopIndex(1)
                .setPadRange(PoolRange.newBuilder().setPoolId("L01/kme-a").setQkdlId("L01").setLengthBits(8))
                .setCiphertext(ByteString.copyFrom(ct)).setTag(ByteString.copyFrom(new byte[16])).build();
    }

    @Test
    void parsesWhatTheStandardMarshallerWrites() {
        RelayHopRequest sent = request(70_000);
        byte[] wire = sent.toByteArray();
        assertThat(marshaller.parse(new Known(wire))).isEqualTo(sent);
        // a stream of unknown length goes the standard way, with the same result
        assertThat(marshaller.parse(new ByteArrayInputStream(wire))).isEqualTo(sent);
        assertThat(marshaller.parse(new Known(new byte[0]))).isEqualTo(RelayHopRequest.getDefaultInstance());
    }

    @Test
    void readsACiphertextOfSeveralChunksAndKeepsTheLastOfRepeatedFields() throws Exception {
        RelayHopRequest sent = request(2 * ChunkedBytes.CHUNK_BYTES + 5);
        assertThat(marshaller.parse(new Known(sent.toByteArray()))).isEqualTo(sent);
        // protobuf's rule for a singular field sent twice: the last one counts, ciphertext included
        RelayHopRequest first = request(300).toBuilder().setSequence(1).build();
        byte[] twice = concat(first.toByteArray(), sent.toByteArray());
        RelayHopRequest parsed = marshaller.parse(new Known(twice));
        assertThat(parsed).isEqualTo(RelayHopRequest.parseFrom(twice));
        assertThat(parsed.getCiphertext()).isEqualTo(sent.getCiphertext());
        assertThat(parsed.getSequence()).isEqualTo(sent.getSequence());
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void aTruncatedMessageIsRefusedAsInvalidProtobuf() {
        byte[] wire = request(1000).toByteArray();
        InputStream cut = new Known(Arrays.copyOf(wire, wire.length - 10));
        assertThatThrownBy(() -> marshaller.parse(cut))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INTERNAL));
    }

    @Test
    void replacesOnlyTheRelayHopRequestMarshaller() {
        ServerServiceDefinition plain = new KeyRelayServiceGrpc.KeyRelayServiceImplBase() {
        }.bindService();
        ServerServiceDefinition applied = InboundHopMarshaller.apply(plain);
        assertThat(applied.getServiceDescriptor().getName()).isEqualTo(plain.getServiceDescriptor().getName());
        assertThat(applied.getMethods()).hasSameSizeAs(plain.getMethods());
        String relayHop = KeyRelayServiceGrpc.getRelayHopMethod().getFullMethodName();
        assertThat(applied.getMethod(relayHop).getMethodDescriptor().getRequestMarshaller())
                .isInstanceOf(InboundHopMarshaller.class);
        assertThat(applied.getMethod(relayHop).getServerCallHandler())
                .isSameAs(plain.getMethod(relayHop).getServerCallHandler());
    }
}

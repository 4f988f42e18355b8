package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Random;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;

class ChunkedBytesTest {

    private static byte[] bytes(int n) {
        byte[] b = new byte[n];
        new Random(n).nextBytes(b);
        return b;
    }

    @Test
    void sharesTheArraysOfAByteStringLaidOutAsChunks() {
        int n = 2 * ChunkedBytes.CHUNK_BYTES + 100;
        ChunkedBytes chunked = ChunkedBytes.allocate(n);
        chunked.arrayAt(ChunkedBytes.CHUNK_BYTES)[7] = 42;
        ByteString wrapped = chunked.asByteString();
        assertThat(wrapped.size()).isEqualTo(n);
        assertThat(wrapped.byteAt(ChunkedBytes.CHUNK_BYTES + 7)).isEqualTo((byte) 42);

        ChunkedBytes shared = ChunkedBytes.sharing(wrapped);
        assertThat(shared).isNotNull();
        assertThat(shared.length()).isEqualTo(n);
        for (int off = 0; off < n; off += ChunkedBytes.CHUNK_BYTES) {
            assertThat(shared.arrayAt(off)).isSameAs(chunked.arrayAt(off));
        }
        shared.arrayAt(n - 1)[ChunkedBytes.indexIn(n - 1)] = 9;  // writes through: the same arrays
        assertThat(wrapped.byteAt(n - 1)).isEqualTo((byte) 9);
    }

    @Test
    void sharesNothingLaidOutOtherwise() {
        // one array longer than a chunk, a slice of an array, a concatenation of other sizes
        assertThat(ChunkedBytes.sharing(ByteString.copyFrom(bytes(ChunkedBytes.CHUNK_BYTES + 1)))).isNull();
        assertThat(ChunkedBytes.sharing(ByteString.copyFrom(bytes(1000)).substring(1, 999))).isNull();
        ByteString uneven = ByteString.copyFrom(bytes(ChunkedBytes.CHUNK_BYTES - 1))
                .concat(ByteString.copyFrom(bytes(1000)));
        assertThat(ChunkedBytes.sharing(uneven)).isNull();
        // a single short array is laid out as one chunk is
        assertThat(ChunkedBytes.sharing(ByteString.copyFrom(bytes(1000)))).isNotNull();
    }

    @Test
    void theMarshallersCiphertextIsSharedWhole() throws Exception {
        byte[] ct = bytes(ChunkedBytes.CHUNK_BYTES + 3);
        byte[] wire = org.qkdnf.proto.keyrelay.v1.RelayHopRequest.newBuilder().setSequence(1)
                .setCiphertext(ByteString.copyFrom(ct)).build().toByteArray();
        ByteString parsed = new InboundHopMarshaller().parse(new java.io.ByteArrayInputStream(wire)).getCiphertext();
        ChunkedBytes shared = ChunkedBytes.sharing(parsed);
        assertThat(shared).isNotNull();
        assertThat(shared.asByteString().toByteArray()).isEqualTo(ct);
    }
}

package org.qkdnf.kms.relay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;

import com.google.protobuf.ByteOutput;
import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;

/**
 * A hop message's payload (ciphertext) held in arrays of at most {@link #CHUNK_BYTES} each
 * instead of one array as long as the message.
 *
 * <p>Why: an array of half a G1 region or more is a humongous object, allocated straight into
 * the old generation; at 1 MiB messages every hop allocated two of them per message (the inbound
 * message, the ciphertext it forwards), and that allocation rate started a concurrent marking
 * cycle every few seconds (0.9 of every 7 CPU-seconds at five hops). Chunks below half the
 * smallest region (1 MiB) are ordinary young objects whatever the heap size.
 *
 * <p>Threads: belongs to one message's work, which alone reads and writes it; once wrapped by
 * {@link #asByteString()} for sending it is not written again.
 */
final class ChunkedBytes {

    /**
     * 256 KiB: under half of G1's smallest region, and a multiple of {@link HopCipher#PIECE_BYTES},
     * so a piece of the cipher's work never straddles two chunks.
     */
    static final int CHUNK_BYTES = 256 * 1024;

    private final byte[][] chunks;
    private final int length;

    /** @param chunks each {@link #CHUNK_BYTES} long except the last, which holds the rest (no empty chunk) */
    ChunkedBytes(byte[][] chunks, int length) {
        if (!laidOut(chunks, length)) {
            throw new IllegalArgumentException("chunks: not " + length + " bytes in chunks of " + CHUNK_BYTES);
        }
        this.chunks = chunks;
        this.length = length;
    }

    private static boolean laidOut(byte[][] chunks, int length) {
        if (length < 0 || chunks.length != chunkCount(length)) {
            return false;
        }
        for (int i = 0; i < chunks.length; i++) {
            if (chunks[i] == null || chunks[i].length != Math.min(CHUNK_BYTES, length - i * CHUNK_BYTES)) {
                return false;
            }
        }
        return true;
    }

    /**
     * The arrays {@code bytes} is made of, as chunks, when it is laid out as chunks are (as
     * {@link #asByteString()} and {@link InboundHopMarshaller} make it); else null. Writing into
     * them changes {@code bytes}: only for a ByteString no one else reads, such as an inbound
     * message's ciphertext that its receiver has taken over.
     */
    static ChunkedBytes sharing(ByteString bytes) {
        Leaves leaves = new Leaves(new byte[chunkCount(bytes.size())][]);
        try {
            UnsafeByteOperations.unsafeWriteTo(bytes, leaves);
        } catch (IOException e) {
            throw new UncheckedIOException(e);  // Leaves throws none
        }
        return leaves.whole && laidOut(leaves.arrays, bytes.size()) ? new ChunkedBytes(leaves.arrays, bytes.size())
                : null;
    }

    /** {@code length} zero bytes. */
    static ChunkedBytes allocate(int length) {
        if (length < 0) {
            throw new IllegalArgumentException("length: must be >= 0, got " + length);
        }
        byte[][] chunks = new byte[chunkCount(length)][];
        for (int i = 0; i < chunks.length; i++) {
            chunks[i] = new byte[Math.min(CHUNK_BYTES, length - i * CHUNK_BYTES)];
        }
        return new ChunkedBytes(chunks, length);
    }

    /** Number of chunks that hold {@code length} bytes. */
    static int chunkCount(int length) {
        return (length + CHUNK_BYTES - 1) / CHUNK_BYTES;
    }

    int length() {
        return length;
    }

    /**
     * The array that holds byte {@code offset}; that byte is at {@link #indexIn} in it. A piece
     * of {@link HopCipher#PIECE_BYTES} that starts at a multiple of it lies in one array.
     */
    byte[] arrayAt(int offset) {
        return chunks[offset / CHUNK_BYTES];
    }

    /** Where byte {@code offset} lies in {@link #arrayAt}'s array. */
    static int indexIn(int offset) {
        return offset % CHUNK_BYTES;
    }

    /** The bytes, sharing the chunks (no copy): they must not change afterwards. */
    ByteString asByteString() {
        ByteString out = ByteString.EMPTY;
        for (byte[] c : chunks) {
            out = out.concat(UnsafeByteOperations.unsafeWrap(c));
        }
        return out;
    }

    /** Collects the whole arrays a ByteString shares, in order; {@code whole} false for anything else. */
    private static final class Leaves extends ByteOutput {
        final byte[][] arrays;
        int count;
        boolean whole = true;

        Leaves(byte[][] arrays) {
            this.arrays = arrays;
        }

        @Override
        public void writeLazy(byte[] value, int offset, int length) {
            if (offset == 0 && length == value.length && count < arrays.length) {
                arrays[count++] = value;
            } else {
                whole = false;
            }
        }

        @Override
        public void write(byte value) {
            whole = false;
        }

        @Override
        public void write(byte[] value, int offset, int length) {
            whole = false;
        }

        @Override
        public void write(ByteBuffer value) {
            whole = false;
        }

        @Override
        public void writeLazy(ByteBuffer value) {
            whole = false;
        }
    }
}

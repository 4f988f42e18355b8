package org.qkdnf.kms.relay;

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
        long total = 0;
        for (int i = 0; i < chunks.length; i++) {
            int expected = i < chunks.length - 1 ? CHUNK_BYTES : length - i * CHUNK_BYTES;
            if (chunks[i].length != expected) {
                throw new IllegalArgumentException("chunks[" + i + "]: " + chunks[i].length + " bytes, expected "
                        + expected);
            }
            total += chunks[i].length;
        }
        if (total != length) {
            throw new IllegalArgumentException("length: " + length + ", chunks hold " + total);
        }
        this.chunks = chunks;
        this.length = length;
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

    /** A copy in one array, for tests. */
    byte[] toByteArray() {
        byte[] out = new byte[length];
        for (int i = 0; i < chunks.length; i++) {
            System.arraycopy(chunks[i], 0, out, i * CHUNK_BYTES, chunks[i].length);
        }
        return out;
    }
}

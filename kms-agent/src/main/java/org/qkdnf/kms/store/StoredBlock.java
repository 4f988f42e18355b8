package org.qkdnf.kms.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.UUID;

import javax.crypto.AEADBadTagException;

import org.qkdnf.common.atrest.AtRestCipher;

/**
 * One block as stored: its id, its full size, where the stored (unconsumed) tail starts, and that
 * tail sealed by {@link AtRestCipher} in chunks. A block is stored whole when appended; when the
 * watermark stops inside it, it is stored again holding only the bytes after the watermark, so
 * consumed key does not stay in the live record.
 *
 * <p>Why chunks: the tail is sealed as one GCM operation per {@link #CHUNK_BYTES}-aligned piece of
 * the block, not as one operation for the whole tail. Taking part of a block then opens only the
 * chunks it needs and re-seals only the chunk the watermark stops in (the chunks after it are
 * kept sealed, byte for byte). And every GCM operation stays small: a few large ones per second
 * (multi-MiB blocks) never get the JIT to compile the JDK's GCM with its AES/CLMUL intrinsics, and
 * then ran at interpreter speed (80 % of the relay's CPU in a profile of format 1).
 *
 * <p>Format 2: {@code [format:1][blockId:16][blockBytes:4][tailOffset:4][chunkBytes:4]} then, for
 * each chunk from the one holding {@code tailOffset} to the last, its nonce, ciphertext and tag.
 * Chunk {@code j} holds bytes {@code max(tailOffset, j*chunkBytes) .. min(blockBytes,
 * (j+1)*chunkBytes) - 1}. Each chunk's associated data ({@link #aad}) binds link, index, block id,
 * size and the chunk's first and last byte, so a chunk or record moved to another pool, index or
 * position, or a record given another offset, fails authentication.
 *
 * @param blockId    the block's id
 * @param blockBytes the block's full size, bytes
 * @param tailOffset the first byte of the block this record still holds
 * @param chunkBytes the chunk size the record was sealed with
 * @param record     the whole encoded record
 */
record StoredBlock(UUID blockId, int blockBytes, int tailOffset, int chunkBytes, byte[] record) {

    /** Largest piece of a block sealed by one GCM operation: 16 KiB, 28 bytes of overhead (0.17 %). */
    static final int CHUNK_BYTES = 16 * 1024;

    private static final byte FORMAT = 2;
    private static final int HEADER = 1 + 16 + 4 + 4 + 4;
    private static final byte[] AAD_LABEL = "qkdnf-kms-pool-block-v2".getBytes(StandardCharsets.US_ASCII);

    /**
     * Seals bytes {@code tailOffset .. blockBytes - 1} of a block, which {@code plain} holds from
     * {@code plainOffset} on, and returns the encoded record (one array, no intermediate copy).
     */
    static byte[] seal(AtRestCipher cipher, String qkdlId, long index, UUID blockId, int blockBytes, int tailOffset,
                       byte[] plain, int plainOffset) {
        int chunks = chunkCount(blockBytes, tailOffset, CHUNK_BYTES);
        byte[] out = new byte[HEADER + chunks * AtRestCipher.OVERHEAD + blockBytes - tailOffset];
        header(out, blockId, blockBytes, tailOffset);
        byte[] prefix = aadPrefix(qkdlId, index, blockId, blockBytes);
        int at = HEADER;
        for (int start = tailOffset; start < blockBytes; ) {
            int end = chunkEnd(start, blockBytes, CHUNK_BYTES);
            cipher.sealInto(aad(prefix, start, end), plain, plainOffset + start - tailOffset, end - start, out, at);
            at += AtRestCipher.OVERHEAD + end - start;
            start = end;
        }
        return out;
    }

    static StoredBlock decode(String qkdlId, long index, byte[] data) throws IOException {
        if (data.length < HEADER + AtRestCipher.OVERHEAD || data[0] != FORMAT) {
            throw new IOException("pool " + qkdlId + " block " + index + ": unknown record format");
        }
        ByteBuffer b = ByteBuffer.wrap(data, 1, HEADER - 1);
        UUID id = new UUID(b.getLong(), b.getLong());
        int blockBytes = b.getInt();
        int tailOffset = b.getInt();
        int chunkBytes = b.getInt();
        if (tailOffset < 0 || tailOffset >= blockBytes || chunkBytes <= 0
                || data.length - HEADER != (long) chunkCount(blockBytes, tailOffset, chunkBytes) * AtRestCipher.OVERHEAD
                        + blockBytes - tailOffset) {
            throw new IOException("pool " + qkdlId + " block " + index + ": inconsistent sizes");
        }
        return new StoredBlock(id, blockBytes, tailOffset, chunkBytes, data);
    }

    /**
     * Decrypts bytes {@code from .. to - 1} of the block (at or after {@link #tailOffset}) into
     * {@code out} from {@code outOffset}. Opens only the chunks holding them; whole chunks are
     * decrypted straight into {@code out}.
     */
    void openInto(AtRestCipher cipher, String qkdlId, long index, int from, int to, byte[] out, int outOffset)
            throws AEADBadTagException {
        if (from < tailOffset || to > blockBytes || from > to) {
            throw new IllegalArgumentException("bytes " + from + ".." + to + " outside the stored tail " + tailOffset
                    + ".." + blockBytes);
        }
        byte[] prefix = aadPrefix(qkdlId, index, blockId, blockBytes);
        int start = chunkStart(from);
        while (start < to) {
            int end = chunkEnd(start, blockBytes, chunkBytes);
            int at = recordOffset(start);
            int len = AtRestCipher.OVERHEAD + end - start;
            if (start >= from && end <= to) {
                cipher.openInto(aad(prefix, start, end), record, at, len, out, outOffset + start - from);
            } else {
                byte[] plain = cipher.open(aad(prefix, start, end), record, at, len);
                int a = Math.max(from, start);
                int z = Math.min(to, end);
                System.arraycopy(plain, a - start, out, outOffset + a - from, z - a);
                Arrays.fill(plain, (byte) 0);
            }
            start = end;
        }
    }

    /**
     * The record of this block holding only bytes {@code newTail ..}: the chunk {@code newTail} falls
     * in is opened and its rest sealed again; the chunks after it are copied as they are.
     */
    byte[] withTailFrom(AtRestCipher cipher, String qkdlId, long index, int newTail) throws AEADBadTagException {
        if (newTail <= tailOffset || newTail >= blockBytes) {
            throw new IllegalArgumentException("newTail " + newTail + " outside " + tailOffset + ".." + blockBytes);
        }
        int first = chunkStart(newTail);
        int firstEnd = chunkEnd(first, blockBytes, chunkBytes);
        // the sealed chunks after the one newTail is in, as they are
        int keepFrom = firstEnd == blockBytes ? record.length : recordOffset(firstEnd);
        byte[] out = new byte[HEADER + AtRestCipher.OVERHEAD + firstEnd - newTail + record.length - keepFrom];
        header(out, blockId, blockBytes, newTail, chunkBytes);
        byte[] prefix = aadPrefix(qkdlId, index, blockId, blockBytes);
        byte[] plain = cipher.open(aad(prefix, first, firstEnd), record, recordOffset(first),
                AtRestCipher.OVERHEAD + firstEnd - first);
        try {
            cipher.sealInto(aad(prefix, newTail, firstEnd), plain, newTail - first, firstEnd - newTail, out, HEADER);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
        System.arraycopy(record, keepFrom, out, HEADER + AtRestCipher.OVERHEAD + firstEnd - newTail,
                record.length - keepFrom);
        return out;
    }

    /** Size of the sealed chunks in {@link #record()}, bytes. */
    int sealedLength() {
        return record.length - HEADER;
    }

    /** Number of sealed chunks in {@link #record()}. */
    int chunks() {
        return chunkCount(blockBytes, tailOffset, chunkBytes);
    }

    /** Size of the unconsumed tail, bytes. */
    int tailBytes() {
        return blockBytes - tailOffset;
    }

    /** First byte of the stored chunk holding byte {@code b} of the block. */
    private int chunkStart(int b) {
        return Math.max(tailOffset, b / chunkBytes * chunkBytes);
    }

    /** Where the stored chunk starting at byte {@code start} (before the block's end) begins in the record. */
    private int recordOffset(int start) {
        int before = start / chunkBytes - tailOffset / chunkBytes;  // stored chunks before it
        return HEADER + before * AtRestCipher.OVERHEAD + start - tailOffset;
    }

    private static int chunkEnd(int start, int blockBytes, int chunkBytes) {
        return (int) Math.min(blockBytes, ((long) start / chunkBytes + 1) * chunkBytes);
    }

    private static int chunkCount(int blockBytes, int tailOffset, int chunkBytes) {
        return (int) (((long) blockBytes + chunkBytes - 1) / chunkBytes - tailOffset / chunkBytes);
    }

    private static void header(byte[] out, UUID blockId, int blockBytes, int tailOffset) {
        header(out, blockId, blockBytes, tailOffset, CHUNK_BYTES);
    }

    private static void header(byte[] out, UUID blockId, int blockBytes, int tailOffset, int chunkBytes) {
        ByteBuffer.wrap(out, 0, HEADER)
                .put(FORMAT)
                .putLong(blockId.getMostSignificantBits()).putLong(blockId.getLeastSignificantBits())
                .putInt(blockBytes).putInt(tailOffset).putInt(chunkBytes);
    }

    private static byte[] aadPrefix(String qkdlId, long index, UUID blockId, int blockBytes) {
        byte[] link = qkdlId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(AAD_LABEL.length + 4 + link.length + 8 + 16 + 4 + 8)
                .put(AAD_LABEL)
                .putInt(link.length).put(link)
                .putLong(index)
                .putLong(blockId.getMostSignificantBits()).putLong(blockId.getLeastSignificantBits())
                .putInt(blockBytes)
                .array();
    }

    /** The prefix (with 8 bytes of room at its end) completed with a chunk's first and end byte. */
    private static byte[] aad(byte[] prefix, int start, int end) {
        ByteBuffer.wrap(prefix, prefix.length - 8, 8).putInt(start).putInt(end);
        return prefix;
    }

    @Override
    public String toString() {
        return "StoredBlock[" + blockId + ", " + blockBytes + " bytes, tail from " + tailOffset + "]";
    }
}

package org.qkdnf.kms.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.UUID;

import javax.crypto.AEADBadTagException;

/**
 * One block as stored: its id, its full size, where the stored (unconsumed) tail starts, and that
 * tail sealed by {@link AtRestCipher}. A block is stored whole when appended; when the watermark
 * stops inside it, it is stored again holding only the bytes after the watermark, so consumed key
 * does not stay in the live record.
 *
 * <p>Format 1: {@code [format:1][blockId:16][blockBytes:4][tailOffset:4][sealed tail]}. The
 * sealed tail's associated data ({@link #aad}) binds link, index, id, size and offset, so a record
 * moved to another pool or index, or given another offset, fails authentication.
 *
 * @param blockId    the block's id
 * @param blockBytes the block's full size, bytes
 * @param tailOffset the first byte of the block this record still holds
 * @param record     the whole encoded record; the sealed tail (nonce, ciphertext of bytes
 *                   {@code tailOffset .. blockBytes - 1}, tag) starts at {@link #sealedOffset()}
 */
record StoredBlock(UUID blockId, int blockBytes, int tailOffset, byte[] record) {

    private static final byte FORMAT = 1;
    private static final int HEADER = 1 + 16 + 4 + 4;
    private static final byte[] AAD_LABEL = "qkdnf-kms-pool-block-v1".getBytes(StandardCharsets.US_ASCII);

    /**
     * Seals bytes {@code tailOffset .. blockBytes - 1} of a block, which {@code plain} holds from
     * {@code plainOffset} on, and returns the encoded record (one array, no intermediate copy).
     */
    static byte[] seal(AtRestCipher cipher, String qkdlId, long index, UUID blockId, int blockBytes, int tailOffset,
                       byte[] plain, int plainOffset) {
        int len = blockBytes - tailOffset;
        byte[] out = new byte[HEADER + AtRestCipher.OVERHEAD + len];
        ByteBuffer.wrap(out, 0, HEADER)
                .put(FORMAT)
                .putLong(blockId.getMostSignificantBits()).putLong(blockId.getLeastSignificantBits())
                .putInt(blockBytes).putInt(tailOffset);
        cipher.sealInto(aad(qkdlId, index, blockId, blockBytes, tailOffset), plain, plainOffset, len, out, HEADER);
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
        if (tailOffset < 0 || tailOffset >= blockBytes || data.length - HEADER != blockBytes - tailOffset + AtRestCipher.OVERHEAD) {
            throw new IOException("pool " + qkdlId + " block " + index + ": inconsistent sizes");
        }
        return new StoredBlock(id, blockBytes, tailOffset, data);
    }

    /** Decrypts the tail: the returned array holds bytes {@code tailOffset .. blockBytes - 1}. */
    byte[] open(AtRestCipher cipher, String qkdlId, long index) throws AEADBadTagException {
        return cipher.open(aad(qkdlId, index, blockId, blockBytes, tailOffset), record, HEADER, record.length - HEADER);
    }

    /** Size of the sealed tail in {@link #record()}, bytes. */
    int sealedLength() {
        return record.length - HEADER;
    }

    /** Size of the unconsumed tail, bytes. */
    int tailBytes() {
        return blockBytes - tailOffset;
    }

    static byte[] aad(String qkdlId, long index, UUID blockId, int blockBytes, int tailOffset) {
        byte[] link = qkdlId.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(AAD_LABEL.length + 4 + link.length + 8 + 16 + 4 + 4)
                .put(AAD_LABEL)
                .putInt(link.length).put(link)
                .putLong(index)
                .putLong(blockId.getMostSignificantBits()).putLong(blockId.getLeastSignificantBits())
                .putInt(blockBytes).putInt(tailOffset)
                .array();
    }

    @Override
    public String toString() {
        return "StoredBlock[" + blockId + ", " + blockBytes + " bytes, tail from " + tailOffset + "]";
    }
}

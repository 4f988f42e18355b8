package org.qkdnf.kms.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.PoolBlock;

/**
 * A deterministic key stream for tests: block {@code i} of link {@code l} always has the same id
 * and bytes (SHA-256 in counter mode), so two stores, two processes or a test and a child process
 * all see the same blocks, and any range's expected bytes can be recomputed.
 */
final class TestStreams {

    private final String qkdlId;
    private final int blockBytes;

    TestStreams(String qkdlId, int blockBytes) {
        this.qkdlId = qkdlId;
        this.blockBytes = blockBytes;
    }

    int blockBytes() {
        return blockBytes;
    }

    PoolBlock block(long index) {
        UUID id = UUID.nameUUIDFromBytes((qkdlId + "/" + index).getBytes(StandardCharsets.UTF_8));
        byte[] key = new byte[blockBytes];
        MessageDigest sha = sha256();
        for (int off = 0, ctr = 0; off < blockBytes; off += 32, ctr++) {
            sha.update(qkdlId.getBytes(StandardCharsets.UTF_8));
            sha.update(ByteBuffer.allocate(12).putLong(index).putInt(ctr).array());
            byte[] d = sha.digest();
            System.arraycopy(d, 0, key, off, Math.min(32, blockBytes - off));
        }
        return new PoolBlock(id, index, key);
    }

    /** Blocks {@code from .. from + count - 1}. */
    List<PoolBlock> blocks(long from, int count) {
        List<PoolBlock> out = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            out.add(block(from + i));
        }
        return out;
    }

    /** Bytes {@code from .. from + length - 1} of the stream. */
    byte[] bytes(long from, int length) {
        byte[] out = new byte[length];
        int filled = 0;
        while (filled < length) {
            long pos = from + filled;
            byte[] key = block(pos / blockBytes).key();
            int off = (int) (pos % blockBytes);
            int n = Math.min(length - filled, blockBytes - off);
            System.arraycopy(key, off, out, filled, n);
            filled += n;
        }
        return out;
    }

    /** Position of a range's first byte in the stream. */
    long start(KeyRange r) {
        return r.firstBlockIndex() * blockBytes + r.offsetBits() / 8;
    }

    long end(KeyRange r) {
        return start(r) + r.lengthBits() / 8;
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}

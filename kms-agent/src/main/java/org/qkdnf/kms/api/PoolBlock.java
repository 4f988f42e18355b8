package org.qkdnf.kms.api;

import java.util.Objects;
import java.util.UUID;

/**
 * A block of link key as the key supply (Kq) hands it to the pool store. Both ends of a link
 * receive the same block, bit for bit, under the same id and index.
 *
 * <p>The store does not keep a reference to {@link #key()}: it encrypts the bytes during
 * {@link KeyPoolStore#append} and the caller may erase its array afterwards.
 * {@link #toString()} never shows the key.
 *
 * @param blockId UUID naming the block at both ends
 * @param index   position of the block in its link's key stream, from 0, without gaps
 * @param key     the key, {@code key.length * 8} bits; at least one byte
 */
public record PoolBlock(UUID blockId, long index, byte[] key) {

    /** Largest block the store accepts: 16 MiB, so one block is one bounded MVStore value. */
    public static final int MAX_BLOCK_BYTES = 16 * 1024 * 1024;

    public PoolBlock {
        Objects.requireNonNull(blockId, "blockId");
        Objects.requireNonNull(key, "key");
        if (index < 0) {
            throw new IllegalArgumentException("index: must be >= 0, got " + index);
        }
        if (key.length == 0 || key.length > MAX_BLOCK_BYTES) {
            throw new IllegalArgumentException("key: length must be 1.." + MAX_BLOCK_BYTES + " bytes, got " + key.length);
        }
    }

    /** Size of the block, bits. */
    public long bits() {
        return key.length * 8L;
    }

    @Override
    public String toString() {
        return "PoolBlock[" + blockId + ", index " + index + ", " + bits() + " bits]";
    }
}

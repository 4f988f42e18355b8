package org.qkdnf.agent.driver;

import java.util.UUID;

/**
 * A block of secret key as a QKD module hands it to its key manager. Both ends of a link produce
 * the same block, bit for bit, under the same id.
 *
 * <p>{@link #toString()} never shows the key.
 *
 * @param blockId UUID naming the block at both ends
 * @param index   position of the block in its link's key stream, from 0
 * @param key     the key bits, {@code key.length * 8} of them
 */
public record KeyBlock(UUID blockId, long index, byte[] key) {

    @Override
    public String toString() {
        return "KeyBlock[" + blockId + ", index " + index + ", " + key.length * 8 + " bits]";
    }
}

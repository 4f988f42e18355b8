package org.qkdnf.kms.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.UUID;

import org.qkdnf.kms.api.PoolLevels;

/**
 * The durable state of one pool besides its blocks: limit, append position, watermark, counters.
 * Immutable; every change makes a new one.
 *
 * <p>The watermark is the position of the next unconsumed byte: block {@code watermarkIndex},
 * byte {@code watermarkOffset} in it. It is kept normalised: the offset is inside the block, and a
 * fully consumed block moves the watermark to offset 0 of the next one, so
 * {@code watermarkIndex <= nextIndex} and, when they are equal, the pool is empty.
 *
 * <p>Format 1: {@code [format:1][maxBits:8][nextIndex:8][hasLast:1][lastBlockId:16?]
 * [watermarkIndex:8][watermarkOffset:4][produced:8][consumed:8][discarded:8]}.
 *
 * @param maxBits         configured maximum of available key, bits
 * @param nextIndex       index the next new block must have
 * @param lastBlockId     id of block {@code nextIndex - 1}, or null before the first block
 * @param watermarkIndex  block of the next unconsumed byte
 * @param watermarkOffset byte of the next unconsumed byte in that block
 * @param producedBits    key appended
 * @param consumedBits    key handed out
 * @param discardedBits   key skipped by a forward {@code consume}
 */
record PoolMeta(long maxBits, long nextIndex, UUID lastBlockId, long watermarkIndex, int watermarkOffset,
                long producedBits, long consumedBits, long discardedBits) {

    private static final byte FORMAT = 1;

    static PoolMeta empty(long maxBits) {
        return new PoolMeta(maxBits, 0, null, 0, 0, 0, 0, 0);
    }

    long availableBits() {
        return producedBits - consumedBits - discardedBits;
    }

    PoolMeta withMaxBits(long max) {
        return new PoolMeta(max, nextIndex, lastBlockId, watermarkIndex, watermarkOffset, producedBits, consumedBits, discardedBits);
    }

    PoolMeta appended(long newNextIndex, UUID newLastBlockId, long addedBits) {
        return new PoolMeta(maxBits, newNextIndex, newLastBlockId, watermarkIndex, watermarkOffset,
                producedBits + addedBits, consumedBits, discardedBits);
    }

    PoolMeta taken(long newWatermarkIndex, int newWatermarkOffset, long addConsumed, long addDiscarded) {
        return new PoolMeta(maxBits, nextIndex, lastBlockId, newWatermarkIndex, newWatermarkOffset,
                producedBits, consumedBits + addConsumed, discardedBits + addDiscarded);
    }

    PoolLevels levels(String qkdlId) {
        return new PoolLevels(qkdlId, maxBits, availableBits(), producedBits, consumedBits, discardedBits, nextIndex);
    }

    byte[] encode() {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + 1 + 16 + 8 + 4 + 8 + 8 + 8);
        b.put(FORMAT).putLong(maxBits).putLong(nextIndex);
        if (lastBlockId == null) {
            b.put((byte) 0);
        } else {
            b.put((byte) 1).putLong(lastBlockId.getMostSignificantBits()).putLong(lastBlockId.getLeastSignificantBits());
        }
        b.putLong(watermarkIndex).putInt(watermarkOffset).putLong(producedBits).putLong(consumedBits).putLong(discardedBits);
        byte[] out = new byte[b.position()];
        b.flip().get(out);
        return out;
    }

    static PoolMeta decode(String qkdlId, byte[] data) throws IOException {
        try {
            ByteBuffer b = ByteBuffer.wrap(data);
            if (b.get() != FORMAT) {
                throw new IOException("pool " + qkdlId + ": unknown meta format " + data[0]);
            }
            long max = b.getLong();
            long next = b.getLong();
            UUID last = b.get() == 0 ? null : new UUID(b.getLong(), b.getLong());
            PoolMeta m = new PoolMeta(max, next, last, b.getLong(), b.getInt(), b.getLong(), b.getLong(), b.getLong());
            if (m.watermarkIndex > m.nextIndex || m.watermarkOffset < 0 || m.availableBits() < 0
                    || (m.watermarkIndex == m.nextIndex && m.watermarkOffset != 0)) {
                throw new IOException("pool " + qkdlId + ": inconsistent meta " + m);
            }
            return m;
        } catch (java.nio.BufferUnderflowException e) {
            throw new IOException("pool " + qkdlId + ": truncated meta", e);
        }
    }
}

package org.qkdnf.kms.api;

import java.util.Objects;
import java.util.UUID;

/**
 * A contiguous range of one link's key stream: what one end reserved and what the other end must
 * consume, named so that both ends find the same bits. The range starts {@code offsetBits} into
 * block {@code firstBlockIndex} (whose id is {@code firstBlockId}) and runs for
 * {@code lengthBits}, on into the following blocks when it is longer than the rest of the first
 * block.
 *
 * <p>The store works in whole bytes: offset and length are multiples of 8.
 *
 * @param qkdlId          the link (ETSI GS QKD 015 {@code qkdl_id}) whose pool the range is in
 * @param firstBlockIndex index of the block the range starts in
 * @param firstBlockId    id of that block; lets the peer check that both ends mean the same block
 * @param offsetBits      where in that block the range starts, bits, a multiple of 8
 * @param lengthBits      length of the range, bits, a positive multiple of 8
 */
public record KeyRange(String qkdlId, long firstBlockIndex, UUID firstBlockId, long offsetBits, long lengthBits) {

    public KeyRange {
        Objects.requireNonNull(qkdlId, "qkdlId");
        Objects.requireNonNull(firstBlockId, "firstBlockId");
        if (firstBlockIndex < 0) {
            throw new IllegalArgumentException("firstBlockIndex: must be >= 0, got " + firstBlockIndex);
        }
        if (offsetBits < 0 || offsetBits % 8 != 0) {
            throw new IllegalArgumentException("offsetBits: must be a non-negative multiple of 8, got " + offsetBits);
        }
        if (lengthBits <= 0 || lengthBits % 8 != 0) {
            throw new IllegalArgumentException("lengthBits: must be a positive multiple of 8, got " + lengthBits);
        }
    }
}

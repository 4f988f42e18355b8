package org.qkdnf.kms.relay;

import java.util.UUID;

import io.grpc.Status;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.proto.keyrelay.v1.PoolRange;

/** Converts pool ranges between the store's {@link KeyRange} and the wire's {@link PoolRange}. */
final class RangeCodec {

    private RangeCodec() {
    }

    /** The wire form of a range of a lane of {@code qkdlId} (the store's pool id is the lane id). */
    static PoolRange toProto(KeyRange range, String qkdlId) {
        return PoolRange.newBuilder()
                .setPoolId(range.qkdlId())
                .setQkdlId(qkdlId)
                .setFirstBlockIndex(range.firstBlockIndex())
                .setFirstBlockId(range.firstBlockId().toString())
                .setOffsetBits(range.offsetBits())
                .setLengthBits(range.lengthBits())
                .build();
    }

    /**
     * The store form of a received range.
     *
     * @param field the message field the range came from, for error messages
     * @throws RelayException INVALID_ARGUMENT naming the field when the range is malformed
     */
    static KeyRange fromProto(PoolRange range, String field, Hop hop) {
        if (range.getFirstBlockIndex() < 0) {  // uint64 beyond Long.MAX_VALUE
            throw RelayException.at(hop, Status.Code.INVALID_ARGUMENT, field + ".first_block_index: out of range");
        }
        if (range.getOffsetBits() < 0 || range.getOffsetBits() % 8 != 0) {
            throw RelayException.at(hop, Status.Code.INVALID_ARGUMENT,
                    field + ".offset_bits: must be a multiple of 8, got " + Long.toUnsignedString(range.getOffsetBits()));
        }
        if (range.getLengthBits() <= 0 || range.getLengthBits() % 8 != 0) {
            throw RelayException.at(hop, Status.Code.INVALID_ARGUMENT,
                    field + ".length_bits: must be a positive multiple of 8, got "
                            + Long.toUnsignedString(range.getLengthBits()));
        }
        UUID blockId;
        try {
            blockId = UUID.fromString(range.getFirstBlockId());
        } catch (IllegalArgumentException e) {
            throw RelayException.at(hop, Status.Code.INVALID_ARGUMENT, field + ".first_block_id: not a UUID");
        }
        return new KeyRange(range.getPoolId(), range.getFirstBlockIndex(), blockId, range.getOffsetBits(),
                range.getLengthBits());
    }
}

package org.qkdnf.kms.relay;

import java.util.UUID;

import io.grpc.Status;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.proto.keyrelay.v1.PoolRange;

/** Converts pool ranges between the store's {@link KeyRange} and the wire's {@link PoolRange}. */
final class RangeCodec {

    /**
     * The bits a message uses: {@code [offsetBits, offsetBits + lengthBits)} of a reservation
     * (a range both ends take from their pools as a whole).
     */
    record Slice(KeyRange reservation, long offsetBits, long lengthBits) {
    }

    private RangeCodec() {
    }

    /** The wire form of a slice of a reservation of a lane of {@code qkdlId} (the store's pool id is the lane id). */
    static PoolRange toProto(KeyRange reservation, String qkdlId, long sliceOffsetBits, long sliceLengthBits) {
        return PoolRange.newBuilder()
                .setPoolId(reservation.qkdlId())
                .setQkdlId(qkdlId)
                .setFirstBlockIndex(reservation.firstBlockIndex())
                .setFirstBlockId(reservation.firstBlockId().toString())
                .setOffsetBits(reservation.offsetBits())
                .setLengthBits(reservation.lengthBits())
                .setSliceOffsetBits(sliceOffsetBits)
                .setSliceLengthBits(sliceLengthBits)
                .build();
    }

    /**
     * The store form of a received range and the slice of it the message uses (slice length 0:
     * the whole range).
     *
     * @param field the message field the range came from, for error messages
     * @throws RelayException INVALID_ARGUMENT naming the field when the range is malformed
     */
    static Slice fromProto(PoolRange range, String field, Hop hop) {
        if (range.getFirstBlockIndex() < 0) {  // uint64 beyond Long.MAX_VALUE
            throw invalid(hop, field + ".first_block_index: out of range");
        }
        if (range.getOffsetBits() < 0 || range.getOffsetBits() % 8 != 0) {
            throw invalid(hop, field + ".offset_bits: must be a multiple of 8, got "
                    + Long.toUnsignedString(range.getOffsetBits()));
        }
        long length = range.getLengthBits();
        if (length <= 0 || length % 8 != 0 || length > Integer.MAX_VALUE) {
            throw invalid(hop, field + ".length_bits: must be a positive multiple of 8 up to " + Integer.MAX_VALUE
                    + ", got " + Long.toUnsignedString(length));
        }
        UUID blockId;
        try {
            blockId = UUID.fromString(range.getFirstBlockId());
        } catch (IllegalArgumentException e) {
            throw invalid(hop, field + ".first_block_id: not a UUID");
        }
        long sliceOffset = range.getSliceOffsetBits();
        long sliceLength = range.getSliceLengthBits() == 0 ? length : range.getSliceLengthBits();
        if (range.getSliceLengthBits() == 0 && sliceOffset != 0) {
            throw invalid(hop, field + ".slice_offset_bits: must be 0 when slice_length_bits is 0");
        }
        if (sliceOffset < 0 || sliceOffset % 8 != 0 || sliceLength < 0 || sliceLength % 8 != 0
                || sliceOffset > length || sliceLength > length - sliceOffset) {
            throw invalid(hop, field + ".slice_offset_bits, " + field + ".slice_length_bits: the slice must be whole "
                    + "bytes inside the range of " + length + " bits");
        }
        return new Slice(new KeyRange(range.getPoolId(), range.getFirstBlockIndex(), blockId, range.getOffsetBits(),
                length), sliceOffset, sliceLength);
    }

    private static RelayException invalid(Hop hop, String what) {
        return RelayException.at(hop, Status.Code.INVALID_ARGUMENT, what);
    }
}

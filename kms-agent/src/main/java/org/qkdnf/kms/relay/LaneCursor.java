package org.qkdnf.kms.relay;

import java.util.Arrays;

import io.grpc.Status;
import org.qkdnf.kms.api.ReservedKey;

/**
 * The receiving end's position in a peer's lane: the reservation the peer is currently slicing
 * (consumed from this end's copy of the lane when a message first named it) and how far into it
 * the peer's messages have used key. Slices must move forward: one that starts behind the bits
 * already used is a replay. Bits skipped over and the rest of a reservation that the peer leaves
 * are erased, never used. Callers synchronize on the cursor for a whole message.
 */
final class LaneCursor {

    /** Consumes a reservation from the store, mapping refusals to relay errors. */
    @FunctionalInterface
    interface Consumer {
        ReservedKey consume(RangeCodec.Slice slice, String field);
    }

    private ReservedKey current;
    private long usedBits;

    /**
     * Returns a copy of the slice's bits and marks them used (they are erased here).
     *
     * @throws RelayException FAILED_PRECONDITION for a replay, or what {@code consumer} throws
     */
    byte[] take(RangeCodec.Slice slice, String field, Hop hop, Consumer consumer) {
        if (current == null || !current.range().equals(slice.reservation())) {
            ReservedKey next = consumer.consume(slice, field);
            drop();
            current = next;
        }
        if (slice.offsetBits() < usedBits) {
            throw RelayException.at(hop, Status.Code.FAILED_PRECONDITION, field + ": the slice at bit "
                    + slice.offsetBits() + " of its reservation is behind the " + usedBits
                    + " bits already used, so its key was used already (a replayed message)");
        }
        byte[] key = current.key();
        int from = (int) (slice.offsetBits() / 8);
        int to = (int) ((slice.offsetBits() + slice.lengthBits()) / 8);
        Arrays.fill(key, (int) (usedBits / 8), from, (byte) 0);  // skipped by the peer: never used
        byte[] out = Arrays.copyOfRange(key, from, to);
        Arrays.fill(key, from, to, (byte) 0);
        usedBits = slice.offsetBits() + slice.lengthBits();
        return out;
    }

    /** Erases the current reservation. */
    void drop() {
        if (current != null) {
            current.erase();
            current = null;
            usedBits = 0;
        }
    }
}

package org.qkdnf.kms.relay;

import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;

import io.grpc.Status;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.ReservedKey;

/**
 * The receiving end's position in a peer's lane: the reservation the peer is currently slicing
 * (consumed from this end's copy of the lane when a message first named it) and how far into it
 * the peer's messages have used key. Slices must move forward: one that starts behind the bits
 * already used is a replay. Bits skipped over and the rest of a reservation that the peer leaves
 * are erased, never used.
 *
 * <p>Two steps per message, so the device sync of a reservation does not stall the stream:
 * {@link #claim} checks and claims the message's slices in stream order (consuming a new
 * reservation from the store without waiting for its sync), and {@link #inOrder} runs the
 * message's work once its reservation is durable, after the work of every message claimed
 * before it on this lane. Key bytes are read only there, so no bit is used before its watermark
 * is durable, and messages leave this node (forwarded or delivered) in the order they came.
 *
 * <p>Threads: callers synchronize on the cursor for {@link #claim} and {@link #inOrder} of one
 * message together; the work runs on the given executor, one message of the lane at a time, and
 * is the only code that touches the reservations' bytes.
 */
final class LaneCursor {

    /** Consumes a reservation from the store, mapping refusals to relay errors. */
    @FunctionalInterface
    interface Consumer {
        CompletableFuture<ReservedKey> consume(RangeCodec.Slice slice, String field);
    }

    /** One slice of a message, to be read once its reservation is durable. */
    private record SliceClaim(CompletableFuture<ReservedKey> reservation, CompletableFuture<ReservedKey> replaced,
                              long skipFrom, long from, long to) {
    }

    /** A message's MAC key and pad, to be read once their reservation is durable. */
    static final class Claim {
        private final SliceClaim mac;
        private final SliceClaim pad;

        private Claim(SliceClaim mac, SliceClaim pad) {
            this.mac = mac;
            this.pad = pad;
        }
    }

    /**
     * The message's work: gets the MAC key and a view of the pad in the reservation (both erased
     * after it returns), or why there are none.
     */
    interface Work {
        void run(byte[] macKey, KeySlice pad);

        void failed(Throwable cause);
    }

    private KeyRange currentRange;
    private CompletableFuture<ReservedKey> current;
    private long usedBits;
    /** Completes when the work of the last message claimed is done; never fails. */
    private CompletableFuture<Void> tail = CompletableFuture.completedFuture(null);

    /**
     * Claims the MAC slice, then the pad slice of one message (the order the sender took them).
     * The "pad" is the key itself for a first-hop message of lane key: the same place in the lane.
     *
     * @param padField the field the pad slice came from ({@code pad_range} or {@code key_range}), for errors
     * @throws RelayException FAILED_PRECONDITION for a replay, or what {@code consumer} throws
     */
    Claim claim(RangeCodec.Slice mac, RangeCodec.Slice pad, String padField, Hop hop, Consumer consumer) {
        SliceClaim m = claimSlice(mac, "mac_key_range", hop, consumer);
        try {
            return new Claim(m, claimSlice(pad, padField, hop, consumer));
        } catch (RuntimeException e) {
            eraseAfterTail(m.replaced());
            throw e;
        }
    }

    /** Claims the MAC slice of a message without a pad (a lane trim); its work gets an empty pad. */
    Claim claimAlone(RangeCodec.Slice mac, String field, Hop hop, Consumer consumer) {
        return new Claim(claimSlice(mac, field, hop, consumer), null);
    }

    /** Runs {@code work} for {@code claim} on {@code executor} after the work of earlier claims. */
    void inOrder(Claim claim, Work work, Executor executor) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        CompletableFuture<Void> previous = tail;
        tail = done;
        CompletableFuture<?> pad = claim.pad == null ? previous : settled(claim.pad.reservation());
        CompletableFuture.allOf(previous, settled(claim.mac.reservation()), pad)
                .whenCompleteAsync((v, t) -> {
                    try {
                        run(claim, work);
                    } finally {
                        done.complete(null);
                    }
                }, executor);
    }

    private SliceClaim claimSlice(RangeCodec.Slice slice, String field, Hop hop, Consumer consumer) {
        CompletableFuture<ReservedKey> replaced = null;
        if (current == null || !currentRange.equals(slice.reservation())) {
            CompletableFuture<ReservedKey> next = consumer.consume(slice, field);
            replaced = current;
            current = next;
            currentRange = slice.reservation();
            usedBits = 0;
        }
        check(slice, field, usedBits, hop);  // cannot fail right after a switch: usedBits is 0 then
        long skipFrom = usedBits;
        usedBits = slice.offsetBits() + slice.lengthBits();
        return new SliceClaim(current, replaced, skipFrom, slice.offsetBits(), usedBits);
    }

    private void eraseAfterTail(CompletableFuture<ReservedKey> reservation) {
        if (reservation != null) {
            tail.thenRun(() -> reservation.thenAccept(ReservedKey::erase));
        }
    }

    private static void run(Claim claim, Work work) {
        byte[] macKey;
        KeySlice pad;
        try {
            macKey = copy(lend(claim.mac));
            try {
                pad = claim.pad == null ? new KeySlice(new byte[0], 0, 0) : lend(claim.pad);
            } catch (RuntimeException e) {
                Arrays.fill(macKey, (byte) 0);
                throw e;
            }
        } catch (CompletionException e) {
            work.failed(e.getCause() == null ? e : e.getCause());
            return;
        } finally {
            for (SliceClaim c : new SliceClaim[] {claim.mac, claim.pad}) {
                if (c != null && c.replaced() != null) {
                    c.replaced().thenAccept(ReservedKey::erase);  // left by the peer: never used
                }
            }
        }
        try {
            work.run(macKey, pad);
        } finally {
            Arrays.fill(macKey, (byte) 0);
            pad.erase();  // a no-op when the work's XOR pass erased it already
        }
    }

    /** Erases the bits skipped before the slice and returns a view of the slice in its reservation. */
    private static KeySlice lend(SliceClaim c) {
        byte[] key = c.reservation().join().key();
        int from = (int) (c.from() / 8);
        int to = (int) (c.to() / 8);
        Arrays.fill(key, (int) (c.skipFrom() / 8), from, (byte) 0);  // skipped by the peer: never used
        return new KeySlice(key, from, to - from);
    }

    /** Copies a (small) slice out of its reservation and erases it there. */
    private static byte[] copy(KeySlice s) {
        byte[] out = Arrays.copyOfRange(s.bytes(), s.offset(), s.offset() + s.length());
        Arrays.fill(s.bytes(), s.offset(), s.offset() + s.length(), (byte) 0);
        return out;
    }

    private static CompletableFuture<Void> settled(CompletableFuture<?> f) {
        return f.handle((x, t) -> null);
    }

    private static void check(RangeCodec.Slice slice, String field, long usedBits, Hop hop) {
        if (slice.offsetBits() < usedBits) {
            throw RelayException.at(hop, Status.Code.FAILED_PRECONDITION, field + ": the slice at bit "
                    + slice.offsetBits() + " of its reservation is behind the " + usedBits
                    + " bits already used, so its key was used already (a replayed message)");
        }
    }
}

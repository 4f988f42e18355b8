package org.qkdnf.kms.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The key manager's durable pools of link key: one pool per QKD link ({@code qkdl_id}), filled in
 * order with the blocks the link produces and emptied in order from a watermark.
 *
 * <p><b>Durability contract.</b> Every mutating call returns only after its effect is durable
 * (written and synced to the device); there is no separate {@code flush()}. Concurrent calls share
 * syncs (group commit), and {@link #append} takes many blocks per call, so one sync covers many
 * blocks.
 *
 * <p><b>Key is never handed out twice.</b> {@link #reserve} and {@link #consume} make the advanced
 * watermark durable <em>before</em> they return the key bytes. A crash between the sync and the
 * return loses that key (it is consumed but nobody got it): the safe direction. After a restart the
 * pool continues after the last durable watermark, so no range handed out before the crash is
 * handed out again.
 *
 * <p>Consumed and discarded key is removed from the store when the watermark passes it.
 *
 * <p>Implementations are safe for use from any thread.
 */
public interface KeyPoolStore extends AutoCloseable {

    /**
     * Defines the pool of a link, or changes the maximum of an existing one (its key stays; a
     * maximum below the key already stored refuses new blocks until consumption brings the pool
     * under it).
     *
     * @param qkdlId  the link, non-blank, at most 256 characters
     * @param maxBits the largest amount of unconsumed key the pool may hold, bits, positive
     * @return the pool's levels after the change
     */
    PoolLevels definePool(String qkdlId, long maxBits);

    /** Deletes the pool of a link and erases its key; a no-op returning false when there is none. */
    boolean deletePool(String qkdlId);

    /** Links that have a pool, in no particular order. */
    List<String> pools();

    /**
     * Appends blocks to a link's pool, all or nothing.
     *
     * <p>Order: blocks must come with consecutive indexes. A block whose index is below the pool's
     * next index is a duplicate: it is ignored when its id (and, while it is still stored, its
     * size) match the stored block, and refused with {@link KeyPoolException.Reason#BLOCK_CONFLICT}
     * otherwise. (Once a block has been consumed only the id of the last block appended is kept,
     * so an older consumed block's id can no longer be checked: it is ignored.) A block whose index
     * is above the next index is refused with {@link KeyPoolException.Reason#OUT_OF_ORDER}.
     *
     * <p>Full pool: when the new blocks would take the available key above the pool's maximum,
     * the call stores nothing and throws {@link KeyPoolException.Reason#POOL_FULL}; the producer
     * keeps its blocks (it may forget blocks only below {@link AppendResult#nextBlockIndex()}).
     *
     * @throws KeyPoolException with the reasons above, {@code UNKNOWN_POOL}, {@code STORAGE_FAILURE}
     *         or {@code CLOSED}
     */
    AppendResult append(String qkdlId, List<PoolBlock> blocks);

    /**
     * Takes the next {@code bits} of a link's key stream, at the watermark, and moves the watermark
     * past them. The new watermark is durable before this returns (see the class comment).
     *
     * @param bits a positive multiple of 8, at most {@link Integer#MAX_VALUE}
     * @throws KeyPoolException {@code INSUFFICIENT_KEY} when the pool holds fewer bits (nothing is
     *         taken), {@code UNKNOWN_POOL}, {@code CORRUPT}, {@code STORAGE_FAILURE}, {@code CLOSED}
     */
    ReservedKey reserve(String qkdlId, long bits);

    /**
     * Discards the next {@code discardBits} of a link's key stream at the watermark (erased without
     * being read, counted in {@link PoolLevels#discardedBits()}) and reserves the {@code bits} that
     * follow, in one durable step. For the owner of a lane nobody draws: the peer, consuming the
     * returned range, discards the same bits before it (see {@link #consume}).
     *
     * @param discardBits a non-negative multiple of 8
     * @param bits        as {@link #reserve}
     * @throws KeyPoolException {@code INSUFFICIENT_KEY} when the pool holds fewer than
     *         {@code discardBits + bits} (nothing is taken), and as {@link #reserve}
     */
    ReservedKey reserveAfterDiscarding(String qkdlId, long discardBits, long bits);

    /**
     * Takes exactly the range the other end of the link reserved, for the side that must use the
     * same key.
     *
     * <p>Rule: a range that starts at the watermark is taken. A range that starts ahead of the
     * watermark is taken too, and the key between the watermark and the range's start is discarded
     * (erased, counted in {@link PoolLevels#discardedBits()}): that is how the two ends get back in
     * step after the other end reserved key it never sent (for example when it crashed right after
     * reserving). A range that starts behind the watermark is refused with
     * {@link KeyPoolException.Reason#REPLAY}, even when only its start overlaps consumed key, so no
     * bit is ever taken twice.
     *
     * @throws KeyPoolException {@code REPLAY}; {@code RANGE_MISMATCH} when the block at
     *         {@code firstBlockIndex} has another id or is shorter than {@code offsetBits};
     *         {@code INSUFFICIENT_KEY} when the range runs past the key stored so far (nothing is
     *         taken or discarded: retry when the blocks have arrived); {@code UNKNOWN_POOL},
     *         {@code CORRUPT}, {@code STORAGE_FAILURE}, {@code CLOSED}
     */
    ReservedKey consume(KeyRange range);

    /**
     * {@link #consume} without waiting for the device: the range is checked and taken (the
     * watermark moved, in memory) before this returns, in call order like {@code consume}, and
     * the future completes with the key once the watermark is durable, or fails and the key is
     * erased. So a caller that takes ranges in a fixed order (the Kk receiver, in stream order) can
     * take the next one while the sync of this one runs. The key is never available before its
     * watermark is durable.
     *
     * <p>The default consumes synchronously.
     *
     * @throws KeyPoolException as {@link #consume}, for refusals found before anything is taken;
     *         failures of the sync complete the future exceptionally
     */
    default CompletableFuture<ReservedKey> consumeAsync(KeyRange range) {
        return CompletableFuture.completedFuture(consume(range));
    }

    /** Levels of one pool, as of the latest operation (possibly not yet durable). */
    PoolLevels levels(String qkdlId);

    /**
     * {@code levels(qkdlId).availableBits()}, but 0 for a pool this store does not hold (yet)
     * instead of an {@code UNKNOWN_POOL} exception: for pollers such as the key services' refill,
     * which ask about lanes whose link has no pool yet many times a second (the Nc bench saw two
     * such exceptions per service set up, each filling in a stack trace).
     *
     * @throws KeyPoolException {@code CLOSED} once the store is closed
     * @throws IllegalArgumentException naming {@code qkdlId} when it is malformed
     */
    long availableBits(String qkdlId);

    /** Levels of every pool. */
    List<PoolLevels> levels();

    /** Waits for the operations in flight, syncs and closes the store; later calls throw {@code CLOSED}. */
    @Override
    void close();
}

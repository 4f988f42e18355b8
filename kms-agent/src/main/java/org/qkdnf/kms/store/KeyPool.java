package org.qkdnf.kms.store;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.locks.ReentrantLock;

import javax.crypto.AEADBadTagException;

import org.h2.mvstore.MVMap;
import org.qkdnf.common.atrest.AtRestCipher;
import org.qkdnf.kms.api.AppendResult;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.api.ReservedKey;

/**
 * One link's pool: its blocks map, its meta, and the rules for appending and taking key.
 *
 * <p>Every operation decides and prepares under the pool's {@link #lock} (so operations on one
 * pool run one at a time, in order), hands its map changes to {@link GroupCommit#apply} before
 * releasing the lock, and waits for durability after releasing it, so the next operation on the
 * pool can be prepared while this one's sync runs. Nothing an operation returns is handed out
 * before its own changes are durable.
 *
 * <p>Threads: {@link #meta} and {@link #deleted} are written under {@link #lock}; {@link #meta} is
 * volatile so {@link #levels()} reads it without the lock. {@link #blocks} is changed only inside
 * {@link GroupCommit#apply}.
 */
final class KeyPool {

    private final String qkdlId;
    private final MVMap<Long, byte[]> blocks;
    private final MVMap<String, byte[]> metas;
    private final AtRestCipher cipher;
    private final GroupCommit commits;
    private final ReentrantLock lock = new ReentrantLock();
    private volatile PoolMeta meta;
    private boolean deleted;

    KeyPool(String qkdlId, PoolMeta meta, MVMap<Long, byte[]> blocks, MVMap<String, byte[]> metas,
            AtRestCipher cipher, GroupCommit commits) {
        this.qkdlId = qkdlId;
        this.meta = meta;
        this.blocks = blocks;
        this.metas = metas;
        this.cipher = cipher;
        this.commits = commits;
    }

    PoolLevels levels() {
        return meta.levels(qkdlId);
    }

    void setMaxBits(long maxBits) {
        long ticket;
        lock.lock();
        try {
            checkNotDeleted();
            PoolMeta next = meta.withMaxBits(maxBits);
            ticket = commits.apply(() -> metas.put(qkdlId, next.encode()));
            meta = next;
        } finally {
            lock.unlock();
        }
        commits.awaitDurable(ticket);
    }

    /** Marks the pool deleted and removes its meta and blocks; returns the ticket to wait for. */
    long delete(Runnable removeBlocksMap) {
        lock.lock();
        try {
            checkNotDeleted();
            deleted = true;
            return commits.apply(() -> {
                metas.remove(qkdlId);
                removeBlocksMap.run();
            });
        } finally {
            lock.unlock();
        }
    }

    AppendResult append(List<PoolBlock> offered) {
        long ticket;
        AppendResult result;
        lock.lock();
        try {
            checkNotDeleted();
            PoolMeta m = meta;
            checkConsecutive(offered, m);
            List<PoolBlock> fresh = new ArrayList<>(offered.size());
            int duplicates = 0;
            long freshBits = 0;
            for (PoolBlock b : offered) {
                if (b.index() < m.nextIndex()) {
                    checkDuplicate(b, m);
                    duplicates++;
                } else {
                    fresh.add(b);
                    freshBits += b.bits();
                }
            }
            if (fresh.isEmpty()) {
                // Nothing new, but the blocks may be in a concurrent call's unsynced commit: the
                // caller may forget them only once they are durable, so wait for that too.
                ticket = commits.apply(() -> { });
                result = new AppendResult(0, duplicates, m.nextIndex());
            } else {
                if (m.availableBits() + freshBits > m.maxBits()) {
                    throw new KeyPoolException(Reason.POOL_FULL, "pool " + qkdlId + ": full: " + m.availableBits()
                            + " of " + m.maxBits() + " bits stored, " + freshBits + " bits offered; nothing stored");
                }
                long[] indexes = new long[fresh.size()];
                byte[][] records = new byte[fresh.size()][];
                for (int i = 0; i < records.length; i++) {
                    PoolBlock b = fresh.get(i);
                    indexes[i] = b.index();
                    records[i] = StoredBlock.seal(cipher, qkdlId, b.index(), b.blockId(), b.key().length, 0, b.key(), 0);
                }
                PoolBlock last = fresh.get(fresh.size() - 1);
                PoolMeta next = m.appended(last.index() + 1, last.blockId(), freshBits);
                ticket = commits.apply(() -> {
                    for (int i = 0; i < records.length; i++) {
                        blocks.put(indexes[i], records[i]);
                    }
                    metas.put(qkdlId, next.encode());
                });
                meta = next;
                result = new AppendResult(fresh.size(), duplicates, next.nextIndex());
            }
        } finally {
            lock.unlock();
        }
        commits.awaitDurable(ticket);
        return result;
    }

    ReservedKey reserve(long bits) {
        return reserveAfterDiscarding(0, bits);
    }

    /**
     * Discards the next {@code discardBits} at the watermark (erased unread, counted as discarded)
     * and reserves the {@code bits} after them, in one durable step.
     */
    ReservedKey reserveAfterDiscarding(long discardBits, long bits) {
        checkLength(bits, "bits");
        if (discardBits < 0 || discardBits % 8 != 0) {
            throw new IllegalArgumentException("discardBits: must be a non-negative multiple of 8, got " + discardBits);
        }
        Taken taken;
        lock.lock();
        try {
            checkNotDeleted();
            PoolMeta m = meta;
            if (m.availableBits() - discardBits < bits) {
                throw new KeyPoolException(Reason.INSUFFICIENT_KEY, "pool " + qkdlId + ": " + bits + " bits asked"
                        + (discardBits == 0 ? "" : " after " + discardBits + " to discard") + ", "
                        + m.availableBits() + " available");
            }
            long index = m.watermarkIndex();
            long offset = m.watermarkOffset() + discardBits / 8;
            StoredBlock first = read(index);
            while (offset >= first.blockBytes()) {
                offset -= first.blockBytes();
                first = read(++index);
            }
            KeyRange range = new KeyRange(qkdlId, index, first.blockId(), offset * 8L, bits);
            taken = take(m, range, discardBits / 8, first);
        } finally {
            lock.unlock();
        }
        return awaitThenHandOut(taken);
    }

    ReservedKey consume(KeyRange range) {
        return awaitThenHandOut(takeRange(range));
    }

    /** {@link #consume} whose key is handed out by a future once its watermark is durable. */
    CompletableFuture<ReservedKey> consumeAsync(KeyRange range) {
        Taken taken = takeRange(range);
        return commits.whenDurable(taken.ticket()).handle((v, failure) -> {
            if (failure != null) {
                taken.key().erase();  // the watermark may or may not be durable: nobody gets this key
                throw failure instanceof CompletionException ? (CompletionException) failure
                        : new CompletionException(failure);
            }
            return taken.key();
        });
    }

    /** Checks and takes {@code range} under the lock; the caller waits for its ticket. */
    private Taken takeRange(KeyRange range) {
        int length = checkLength(range.lengthBits(), "range.lengthBits");
        lock.lock();
        try {
            checkNotDeleted();
            PoolMeta m = meta;
            long start = range.firstBlockIndex();
            long startOffset = range.offsetBits() / 8;
            if (start < m.watermarkIndex() || (start == m.watermarkIndex() && startOffset < m.watermarkOffset())) {
                throw new KeyPoolException(Reason.REPLAY, "pool " + qkdlId + ": range starts at block " + start
                        + " byte " + startOffset + ", behind the watermark at block " + m.watermarkIndex() + " byte "
                        + m.watermarkOffset() + ": that key was consumed already");
            }
            if (start >= m.nextIndex()) {
                throw new KeyPoolException(Reason.INSUFFICIENT_KEY, "pool " + qkdlId + ": range starts in block "
                        + start + ", not received yet (next block expected: " + m.nextIndex() + ")");
            }
            StoredBlock first = read(start);
            if (!first.blockId().equals(range.firstBlockId())) {
                throw new KeyPoolException(Reason.RANGE_MISMATCH, "pool " + qkdlId + ": range.firstBlockId "
                        + range.firstBlockId() + " differs from block " + start + " here (" + first.blockId() + ")");
            }
            if (startOffset >= first.blockBytes()) {
                throw new KeyPoolException(Reason.RANGE_MISMATCH, "pool " + qkdlId + ": range.offsetBits "
                        + range.offsetBits() + " is past the end of block " + start + " (" + first.blockBytes() * 8L + " bits)");
            }
            long skip = bytesBetween(m, start, startOffset);
            if ((skip + length) * 8 > m.availableBits()) {
                throw new KeyPoolException(Reason.INSUFFICIENT_KEY, "pool " + qkdlId + ": range runs "
                        + ((skip + length) * 8 - m.availableBits()) + " bits past the key received so far");
            }
            return take(m, range, skip, first);
        } finally {
            lock.unlock();
        }
    }

    /** What {@link #take} decided: the key, and the ticket of the durable watermark behind it. */
    private record Taken(ReservedKey key, long ticket) {
    }

    private ReservedKey awaitThenHandOut(Taken taken) {
        boolean durable = false;
        try {
            commits.awaitDurable(taken.ticket());
            durable = true;
            return taken.key();
        } finally {
            if (!durable) {
                taken.key().erase();  // the watermark may or may not be durable: nobody gets this key
            }
        }
    }

    /**
     * Takes {@code range} (which starts {@code skip} bytes after the watermark; those are
     * discarded), moves the watermark to its end, erases what lies behind the new watermark, and
     * applies all of it. Call under {@link #lock}, with the range checked against the pool.
     * {@code first} is the record of the range's first block, which the check read already:
     * a record is a whole block (MiBs), and reading it again cost a second page read and copy.
     */
    private Taken take(PoolMeta m, KeyRange range, long skip, StoredBlock first) {
        int length = (int) (range.lengthBits() / 8);
        byte[] out = new byte[length];
        List<Long> removed = new ArrayList<>();
        for (long i = m.watermarkIndex(); i < range.firstBlockIndex(); i++) {
            removed.add(i);  // skipped whole: discarded
        }
        long index = range.firstBlockIndex();
        int pos = (int) (range.offsetBits() / 8);  // byte in the current block
        int filled = 0;
        Long rewriteIndex = null;
        byte[] rewrite = null;
        long ticket;
        PoolMeta next;
        try {
            while (true) {
                StoredBlock rec = index == range.firstBlockIndex() ? first : read(index);
                int n = Math.min(length - filled, rec.blockBytes() - pos);
                openInto(index, rec, pos, pos + n, out, filled);
                filled += n;
                pos += n;
                if (pos == rec.blockBytes()) {
                    removed.add(index);
                    index++;
                    pos = 0;
                } else {
                    // The range ends inside this block: keep only what follows it.
                    rewriteIndex = index;
                    rewrite = withTailFrom(index, rec, pos);
                }
                if (filled == length) {
                    break;
                }
            }
            next = m.taken(index, pos, range.lengthBits(), skip * 8);
            PoolMeta nextMeta = next;
            Long keep = rewriteIndex;
            byte[] keepRecord = rewrite;
            ticket = commits.apply(() -> {
                metas.put(qkdlId, nextMeta.encode());
                for (Long r : removed) {
                    blocks.remove(r);
                }
                if (keep != null) {
                    blocks.put(keep, keepRecord);
                }
            });
        } catch (RuntimeException e) {
            Arrays.fill(out, (byte) 0);
            throw e;
        }
        meta = next;
        return new Taken(new ReservedKey(range, out), ticket);
    }

    /** Bytes from the watermark to (index, offset); the blocks in between are all stored. */
    private long bytesBetween(PoolMeta m, long index, long offset) {
        long bytes = 0;
        long i = m.watermarkIndex();
        int from = m.watermarkOffset();
        while (i < index) {
            bytes += read(i).blockBytes() - from;
            from = 0;
            i++;
        }
        return bytes + offset - from;
    }

    private void checkConsecutive(List<PoolBlock> offered, PoolMeta m) {
        if (offered.isEmpty()) {
            throw new IllegalArgumentException("blocks: empty");
        }
        long first = offered.get(0).index();
        for (int i = 1; i < offered.size(); i++) {
            if (offered.get(i).index() != first + i) {
                throw new KeyPoolException(Reason.OUT_OF_ORDER, "pool " + qkdlId + ": blocks[" + i + "].index is "
                        + offered.get(i).index() + ", expected " + (first + i) + " (blocks must be consecutive)");
            }
        }
        if (first > m.nextIndex()) {
            throw new KeyPoolException(Reason.OUT_OF_ORDER, "pool " + qkdlId + ": blocks[0].index is " + first
                    + ", expected at most " + m.nextIndex() + ": blocks " + m.nextIndex() + ".." + (first - 1) + " missing");
        }
    }

    /** A block below nextIndex must be the block already stored under that index. */
    private void checkDuplicate(PoolBlock b, PoolMeta m) {
        if (b.index() >= m.watermarkIndex()) {
            StoredBlock stored = read(b.index());
            if (!stored.blockId().equals(b.blockId()) || stored.blockBytes() != b.key().length) {
                throw new KeyPoolException(Reason.BLOCK_CONFLICT, "pool " + qkdlId + ": block " + b.index() + " is "
                        + stored.blockId() + " of " + stored.blockBytes() * 8L + " bits here, offered "
                        + b.blockId() + " of " + b.bits() + " bits");
            }
        } else if (b.index() == m.nextIndex() - 1 && !b.blockId().equals(m.lastBlockId())) {
            throw new KeyPoolException(Reason.BLOCK_CONFLICT, "pool " + qkdlId + ": block " + b.index() + " was "
                    + m.lastBlockId() + ", offered " + b.blockId());
        }
        // else: consumed and erased; its id is no longer known here, and re-appending cannot bring it back.
    }

    private StoredBlock read(long index) {
        byte[] data = blocks.get(index);
        if (data == null) {
            throw new KeyPoolException(Reason.CORRUPT, "pool " + qkdlId + ": block " + index + " missing from the store");
        }
        try {
            return StoredBlock.decode(qkdlId, index, data);
        } catch (IOException e) {
            throw new KeyPoolException(Reason.CORRUPT, e.getMessage(), e);
        }
    }

    private void openInto(long index, StoredBlock rec, int from, int to, byte[] out, int outOffset) {
        try {
            rec.openInto(cipher, qkdlId, index, from, to, out, outOffset);
        } catch (AEADBadTagException e) {
            throw corrupt(index, e);
        }
    }

    private byte[] withTailFrom(long index, StoredBlock rec, int newTail) {
        try {
            return rec.withTailFrom(cipher, qkdlId, index, newTail);
        } catch (AEADBadTagException e) {
            throw corrupt(index, e);
        }
    }

    private KeyPoolException corrupt(long index, AEADBadTagException e) {
        return new KeyPoolException(Reason.CORRUPT, "pool " + qkdlId + ": block " + index
                + " fails authentication (altered, or another store key)", e);
    }

    private void checkNotDeleted() {
        if (deleted) {
            throw new KeyPoolException(Reason.UNKNOWN_POOL, "pool " + qkdlId + ": deleted");
        }
    }

    private static int checkLength(long bits, String name) {
        if (bits <= 0 || bits % 8 != 0 || bits > Integer.MAX_VALUE) {
            throw new IllegalArgumentException(name + ": must be a positive multiple of 8 up to "
                    + Integer.MAX_VALUE + ", got " + bits);
        }
        return (int) (bits / 8);
    }
}

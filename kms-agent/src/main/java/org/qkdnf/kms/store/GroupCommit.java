package org.qkdnf.kms.store;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.locks.ReentrantLock;

import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.h2.mvstore.RandomAccessStore;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;

/**
 * The only way the store's maps are changed and made durable: changes are applied under one lock,
 * and commits happen under that same lock, so every commit captures whole operations, never half
 * of one (an MVStore commit is not atomic across maps, and a mutation touches a pool's meta and its
 * blocks). The sync (fsync), the slow part, runs outside it, so other operations keep applying
 * while one sync is in flight and the next sync covers them all: group commit.
 *
 * <p>MVStore's own automatic commits must be off ({@code autoCommitDisabled} and
 * {@code autoCommitBufferSize(0)}): an automatic commit could land inside an operation.
 *
 * <p>Threads: {@link #applyLock} guards every map mutation, {@link #applied} and
 * {@code MVStore.commit()}; {@link #syncLock} lets one thread at a time commit and sync;
 * {@link #durable} and {@link #failure} are read without locks. {@link #whenDurable} waits on
 * the store's own {@code kms-store-sync} thread.
 */
final class GroupCommit {

    /**
     * How long MVStore keeps a chunk that no longer holds live data before reusing its space. Its
     * default, 45 s, is there for writers that leave flushing to the operating system; it made the
     * file hold 45 s of write traffic (GBs at the append rates of a key pool) on top of a live set
     * of a few Mbit. Here every commit is synced before the next one is written ({@link #syncLock}),
     * so by the time a chunk's space is reused, the commits that stopped referencing it are on the
     * device, and a crash reopens at one of them. MVStore still keeps a dead chunk for its last
     * {@code versionsToKeep} (5) commits. The other reason for a retention time, readers walking an
     * old version of a map while commits free its chunks, does not arise: each map here is read
     * under the same lock as it is changed (a pool's lock, the service store's lock), so a reader
     * always walks the current version, whose chunks are live.
     */
    static final int RETENTION_MILLIS = 0;

    /**
     * Time {@link MVStore#compactFile} may take when the store opens. With the retention time above
     * the file no longer grows, but a file that grew before (under the 45-s default, or in a burst)
     * keeps its size as long as one live page sits near its end (the page of a pool that has been
     * idle since, MVStore's own map list): free space is reused from the front, and the file is cut
     * only behind its last live chunk. Compacting moves the live chunks to the front and cuts the
     * file: a 1.1 GiB file holding 0.5 MiB of key went to 1.1 MiB in about a second. It runs once,
     * at open, on the opening thread, before the store is handed to anyone, so it never competes
     * with operations for the commit lock or the disk. It changes no map's content, only where the
     * chunks lie, and a kill during it reopens with the content it had ({@code CompactAtOpenCrashTest}).
     */
    static final int COMPACT_AT_OPEN_MILLIS = 2000;
    /** Chunks are moved only while the file is at most this full: MVStore's own threshold for it. */
    private static final int MOVE_BELOW_FILL_PERCENT = 90;
    /** Bytes of chunks one move step rewrites: what MVStore's compactFile moves per step. */
    private static final long MOVE_STEP_BYTES = 16L << 20;

    private final MVStore mv;
    private final ReentrantLock applyLock = new ReentrantLock();
    private final Object syncLock = new Object();
    /** Number of mutations applied; guarded by applyLock. */
    private long applied;
    /** All mutations up to this number are on the device; written under syncLock. */
    private volatile long durable;
    /** First commit or sync failure; once set, nothing more is applied. */
    private volatile RuntimeException failure;
    /** Set by {@link #closeStore()}; guarded by applyLock. */
    private boolean closed;
    /** Number of syncs done; written under syncLock. For tests and metrics: syncs per operation. */
    private volatile long syncs;
    /** Runs the waits of {@link #whenDurable}, created on first use; guarded by this. */
    private ExecutorService syncer;

    GroupCommit(MVStore mv) {
        if (mv.getAutoCommitDelay() != 0 || mv.getAutoCommitMemory() != 0) {
            throw new IllegalArgumentException("mv: automatic commits must be disabled");
        }
        this.mv = mv;
        long deadline = System.nanoTime() + COMPACT_AT_OPEN_MILLIS * 1_000_000L;
        mv.compactFile(COMPACT_AT_OPEN_MILLIS);  // see COMPACT_AT_OPEN_MILLIS; nothing else uses mv yet
        mv.setRetentionTime(RETENTION_MILLIS);  // after: compactFile leaves it at 0, and that must not be what sets it
        cutBehindLiveChunks(deadline);
    }

    /**
     * Moves live chunks from the end of the file into free space at its front and cuts the file,
     * 16 MiB per step, until a step frees nothing or the open's compaction time is up.
     * {@link MVStore#compactFile} does this only after it has rewritten some chunk. A kill between
     * its rewrite and its move leaves every live page in full chunks behind the dead space, and
     * compactFile then moved nothing and kept the file at its grown size on every later open
     * ({@code CompactAtOpenCrashTest}). MVStore frees a dead chunk only {@code versionsToKeep}
     * commits after it died, and a fresh open has made one or two: so none are kept while this
     * runs, which is safe because nothing reads the store yet.
     */
    private void cutBehindLiveChunks(long deadline) {
        if (!(mv.getFileStore() instanceof RandomAccessStore)) {
            return;
        }
        RandomAccessStore file = (RandomAccessStore) mv.getFileStore();
        int versionsToKeep = mv.getVersionsToKeep();
        mv.setVersionsToKeep(0);
        try {
            long size = file.size();
            while (System.nanoTime() - deadline < 0) {
                file.compactMoveChunks(MOVE_BELOW_FILL_PERCENT, MOVE_STEP_BYTES, mv);
                long now = file.size();
                if (now >= size) {
                    return;
                }
                size = now;
            }
        } finally {
            mv.setVersionsToKeep(versionsToKeep);
        }
    }

    /**
     * Applies a mutation to the maps (in memory only) and returns its ticket for
     * {@link #awaitDurable}. The mutation must not throw once it has changed a map.
     */
    long apply(Runnable mutation) {
        applyLock.lock();
        try {
            checkUsable();
            try {
                mutation.run();
            } catch (MVStoreException e) {
                failure = e;  // MVStore is in panic: its maps can no longer be trusted
                throw storageFailure(e);
            }
            return ++applied;
        } finally {
            applyLock.unlock();
        }
    }

    /** Returns once mutation {@code ticket} and all before it are committed and synced. */
    void awaitDurable(long ticket) {
        if (durable >= ticket) {
            return;
        }
        synchronized (syncLock) {
            if (durable >= ticket) {
                return;  // a sync that ran while we waited for syncLock covered us
            }
            if (failure != null) {
                throw storageFailure(failure);
            }
            long upTo;
            try {
                applyLock.lock();
                try {
                    checkUsable();
                    upTo = applied;
                    mv.commit();
                } finally {
                    applyLock.unlock();
                }
                mv.sync();
                syncs++;  // only this thread writes it: it holds syncLock
            } catch (KeyPoolException e) {
                throw e;
            } catch (RuntimeException e) {
                failure = e;
                throw storageFailure(e);
            }
            durable = upTo;
        }
    }

    /**
     * A future that completes once mutation {@code ticket} is durable, or fails as
     * {@link #awaitDurable} would. The waiting runs on one thread of this store, in call order,
     * so callers never block and futures of later tickets do not complete before earlier ones.
     * Dependent stages run on that thread unless given an executor: keep them short.
     */
    CompletableFuture<Void> whenDurable(long ticket) {
        if (durable >= ticket) {
            return CompletableFuture.completedFuture(null);
        }
        try {
            return CompletableFuture.runAsync(() -> awaitDurable(ticket), syncer());
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new KeyPoolException(Reason.CLOSED, "key pool store is closed"));
        }
    }

    private synchronized ExecutorService syncer() {
        if (syncer == null) {
            syncer = Executors.newSingleThreadExecutor(r -> {
                Thread t = new Thread(r, "kms-store-sync");
                t.setDaemon(true);
                return t;
            });
        }
        return syncer;
    }

    /** Syncs done so far by {@link #awaitDurable}. */
    long syncs() {
        return syncs;
    }

    /**
     * Commits, syncs and closes the store; later {@link #apply} calls throw {@code CLOSED}.
     * Futures from {@link #whenDurable} that are still waiting complete (the close made them
     * durable) or fail.
     */
    void closeStore() {
        synchronized (this) {
            if (syncer != null) {
                syncer.shutdown();  // queued waits still run; they find the close made them durable
            }
        }
        synchronized (syncLock) {
            applyLock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true;
                if (failure == null) {
                    mv.close();  // commits what is pending, then syncs and closes the file
                    durable = applied;  // callers still waiting in awaitDurable are covered
                } else {
                    mv.closeImmediately();
                }
            } finally {
                applyLock.unlock();
            }
        }
    }

    /** Throws when the store is closed or failed; call under applyLock. */
    private void checkUsable() {
        if (closed) {
            throw new KeyPoolException(Reason.CLOSED, "key pool store is closed");
        }
        if (failure != null) {
            throw storageFailure(failure);
        }
    }

    private static KeyPoolException storageFailure(RuntimeException cause) {
        return new KeyPoolException(Reason.STORAGE_FAILURE,
                "key pool store cannot write its file: " + cause.getMessage(), cause);
    }
}

package org.qkdnf.controller.standalone;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.h2.mvstore.MVStore;

/**
 * Makes an MVStore's pending writes durable in batches, off the caller's thread: {@link #flush()}
 * answers a future that completes once one commit + fsync that started after the call has
 * finished, so every write made before the call is on the device then. Writes that arrive while a
 * sync runs share the next one: at ~2 ms per fsync, a thousand staged changes cost one or two
 * syncs instead of a thousand.
 *
 * <p>Threads: one daemon thread per store runs commit and sync; {@code next} is guarded by
 * {@code this}; the commit runs under {@code storeLock}, the monitor the store's writers hold, so
 * it never sees half a multi-map change; the fsync runs outside it.
 */
final class GroupCommit implements AutoCloseable {

    private final MVStore mv;
    private final Object storeLock;
    private final ExecutorService thread;
    /** The future of the flush not started yet; null when none is queued. Guarded by this. */
    private CompletableFuture<Void> next;

    GroupCommit(MVStore mv, Object storeLock, String name) {
        this.mv = mv;
        this.storeLock = storeLock;
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "group-commit-" + name);
            t.setDaemon(true);
            return t;
        });
    }

    /** Completes when every write made before this call is durable; fails if the store failed or closed. */
    synchronized CompletableFuture<Void> flush() {
        if (next == null) {
            CompletableFuture<Void> f = new CompletableFuture<>();
            try {
                thread.execute(this::run);
            } catch (RejectedExecutionException e) {
                return CompletableFuture.failedFuture(new IllegalStateException("store closed"));
            }
            next = f;
        }
        return next;
    }

    private void run() {
        CompletableFuture<Void> f;
        synchronized (this) {
            f = next;
            next = null;
        }
        try {
            synchronized (storeLock) {
                if (mv.isClosed()) {
                    throw new IllegalStateException("store closed");
                }
                mv.commit();
            }
            // Outside the lock: writers keep staging while the device syncs (force() covers
            // everything written before it started).
            mv.sync();
            f.complete(null);
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
    }

    /** Runs the flushes already asked for, then stops. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

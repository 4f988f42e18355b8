package org.qkdnf.controller.standalone;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;

import org.h2.mvstore.MVStore;

/**
 * Makes the pending writes of one or more MVStores durable in batches, off the caller's thread:
 * {@link #flush()} answers a future that completes once one commit + fsync of every member store,
 * started after the call, has finished, so every write made to any member before the call is on
 * the device then. Writes that arrive while a sync runs share the next one: at ~2 ms per fsync, a
 * thousand staged changes cost one or two syncs instead of a thousand.
 *
 * <p>Why several stores share one: the controller's key services, reservations and key routes are
 * written in a chain (a service's route is written ahead, then the key route INSTALLING, then
 * INSTALLED). With one group commit for all three, the key route's sync also covers the write-ahead
 * staged before it, so the key-service manager need not wait for a sync of its own before handing
 * the install on ({@link org.qkdnf.controller.keyservice.KeyServiceStore#flushedWithKeyRoutes()}).
 *
 * <p>Threads: one daemon thread runs the commits and the first member's sync, daemon pool threads
 * the other members' syncs, in parallel; {@code next} is guarded by {@code this}. The
 * commit does not take the writers' lock: an MVStore map takes writes while a commit runs (each
 * lands in the version being committed or the next one), and every member store changes a single
 * map per call, so a commit never sees half a change. Holding the lock made every writer (the
 * key-service thread staging a setup, key management staging a route) wait for the page
 * serialization of a whole batch.
 */
final class GroupCommit implements AutoCloseable {

    private final List<MVStore> members = new CopyOnWriteArrayList<>();
    private final ExecutorService thread;
    /**
     * Syncs the members after the first, so one batch costs the slowest fsync, not the sum of
     * them (tens of ms each on a busy disk).
     */
    private final ExecutorService syncers;
    /** The future of the flush not started yet; null when none is queued. Guarded by this. */
    private CompletableFuture<Void> next;

    /** A group commit without members yet ({@link #add}). */
    GroupCommit(String name) {
        this.thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "group-commit-" + name);
            t.setDaemon(true);
            return t;
        });
        this.syncers = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "group-commit-" + name + "-sync");
            t.setDaemon(true);
            return t;
        });
    }

    /** Adds a store that changes one map per write call; before the store's first deferred write. */
    void add(MVStore mv) {
        members.add(mv);
    }

    /** Completes when every write made before this call is durable; fails if a store failed or closed. */
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
            for (MVStore mv : members) {
                if (mv.isClosed()) {
                    throw new IllegalStateException("store closed");
                }
                mv.commit();
            }
            // force() covers everything written before it started.
            List<CompletableFuture<Void>> others = new ArrayList<>();
            for (int i = 1; i < members.size(); i++) {
                others.add(CompletableFuture.runAsync(members.get(i)::sync, syncers));
            }
            members.get(0).sync();
            CompletableFuture.allOf(others.toArray(new CompletableFuture<?>[0])).join();
            f.complete(null);
        } catch (CompletionException e) {
            f.completeExceptionally(e.getCause());
        } catch (RuntimeException e) {
            f.completeExceptionally(e);
        }
    }

    /** Runs the flushes already asked for, then stops; close it before its stores. */
    @Override
    public void close() {
        thread.shutdown();
        try {
            thread.awaitTermination(5, java.util.concurrent.TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        syncers.shutdown();
    }
}

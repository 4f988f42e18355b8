package org.qkdnf.kms.service;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.kms.store.ServiceKeyStore.CarvedBatch;
import org.qkdnf.kms.store.ServiceKeyStore.CarvedKey;
import org.qkdnf.kms.store.ServiceKeyStore.PreparedBatch;
import org.qkdnf.kms.store.ServiceKeyStore.ServiceKeyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At a service's source: keeps a run of keys of the default size ready in memory, so that
 * {@code enc_keys} touches neither the disk nor the network. Keys are prepared in batches ahead of
 * demand, in this order, each step finished before the next starts:
 *
 * <ol>
 *   <li>carve a batch from the relayed key ({@link ServiceKeyStore#carveBatch}): the source's
 *       watermark moves past the batch and the batch is recorded as prepared, in one synced commit;</li>
 *   <li>assign the batch's key ids to the destination ({@link BatchAssigner}), which stores them
 *       durably before it answers (so the slave SAE can already ask for them);</li>
 *   <li>put the batch in the ready run, unopened;</li>
 *   <li>open it ({@link ServiceKeyStore#openBatches}: its record is removed, durably) before any of
 *       its keys is handed out. The run opens the next batches while two batches of opened keys
 *       are still left, as many as bring the opened keys to half the run in one commit, so requests
 *       never wait for that sync while the run keeps up, and a slow sync delays one open, not
 *       each batch's.</li>
 * </ol>
 *
 * <p>What a crash can lose, and why nothing repeats. The durable watermark is a lease ahead of
 * what is served: every key in memory (ready, or in a batch being prepared) lies below it.
 * <ul>
 *   <li>Source killed (kill -9) at any point: the ready run and any batch in preparation are gone
 *       with the process. Their bytes are below the durable watermark, so the restarted source
 *       never carves them again. The key ids of the batches never opened are recorded: the
 *       restarted source tells the destination to discard them ({@link BatchDiscarder}, retried
 *       until it answers), so no key stays stored there under an id no SAE knows. The opened
 *       batches' unserved keys (at most half the run and a batch) stay at the destination until the
 *       service is removed: knowing exactly which of them were served would cost a sync per
 *       request. No SAE was told their ids, and only the pair's slave SAE could ever take one
 *       (once), so none can reach anyone else.</li>
 *   <li>Destination killed, or its answer lost: a batch is served only after the destination
 *       acknowledged it, and it acknowledges only what it has synced. A batch without an answer
 *       is dropped here (erased, never served) and its ids discarded at the destination.</li>
 *   <li>A batch is never assigned twice (it is dropped on any failure, not retried), and the
 *       destination refuses a segment overlapping bytes it already assigned, so even a repeated
 *       assignment could not give the same key under two ids. A discarded id is barred at the
 *       destination, so an assignment still on its way cannot bring it back.</li>
 * </ul>
 *
 * <p>Threads: request threads call {@link #take} (network threads: never a lock held across work
 * elsewhere; a run's monitor only for a few reads when a batch may be claimed) or {@link #await}
 * (blocking threads, which wait on the run's monitor for keys); batches are prepared on
 * {@code workers} (a small pool: at most {@link #MAX_BATCHES_IN_FLIGHT} batches of a service at a
 * time, so that one batch's fsyncs and round trip overlap the next's) and opened on
 * {@code opener} (the store's lock stays off the network threads); an opened batch joins the run on
 * the store's sync thread; lost batches are discarded on {@code recovery}. Each {@link Run} says which of its fields its monitor guards.
 */
final class KeyPreparer implements AutoCloseable {

    /**
     * Keys per batch: one carve commit at the source, one assignment RPC and commit at the
     * destination. At most the 1024 assignments the destination takes per call.
     */
    static final int BATCH_KEYS = 1024;
    static final int MAX_BATCHES_IN_FLIGHT = 4;
    /** At most this many keys wait in memory per service (8 batches: ~0.2 s of the 40k/s goal). */
    static final int MAX_READY_KEYS = 8 * BATCH_KEYS;
    private static final long RETRY_AFTER_FAILURE_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final long RECOVERY_RETRY_MILLIS = 1000;
    /**
     * Batches kept opened ahead of the requests: the next ones are opened while this many batches
     * of opened keys are left, so that their sync (tens of ms on a busy disk) lands before they run
     * out.
     */
    static final int OPENED_AHEAD_BATCHES = 2;
    private static final Logger log = LoggerFactory.getLogger(KeyPreparer.class);

    /** Tells a service's destination which bytes make the batch's keys; returns once it stored them. */
    @FunctionalInterface
    interface BatchAssigner {
        void assign(String destinationQkdnId, UUID serviceId, CarvedBatch batch) throws KeyDeliveryException;
    }

    /** Tells a service's destination to erase the keys of these ids; returns once it did, durably. */
    @FunctionalInterface
    interface BatchDiscarder {
        int discard(String destinationQkdnId, UUID serviceId, List<UUID> keyIds) throws KeyDeliveryException;
    }

    private final String selfQkdnId;
    private final ServiceKeyStore keys;
    private final BatchAssigner assigner;
    private final BatchDiscarder discarder;
    private final int keyBytes;
    private final ExecutorService workers;
    private final ScheduledThreadPoolExecutor recovery;
    /**
     * Opens batches ({@link ServiceKeyStore#openBatch}): that takes the store's lock, which a
     * carve or a commit may hold for milliseconds, so the event loops that take keys never call it
     * themselves. One thread: opening only applies a small change and returns.
     */
    private final ExecutorService opener;
    private final Map<UUID, Run> runs = new ConcurrentHashMap<>();
    /** Batches a previous run of this key manager prepared and never opened; owned by {@code recovery}. */
    private final List<PreparedBatch> lost;

    KeyPreparer(String selfQkdnId, ServiceKeyStore keys, BatchAssigner assigner, BatchDiscarder discarder,
                int keyBits, int threads) {
        this.selfQkdnId = selfQkdnId;
        this.keys = keys;
        this.assigner = assigner;
        this.discarder = discarder;
        this.keyBytes = keyBits / 8;
        // Read before any batch of this run is carved: every record now is of a run that is gone.
        this.lost = new ArrayList<>(keys.preparedBatches());
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "key-service-prepare-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
        this.recovery = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "key-service-recover");
            t.setDaemon(true);
            return t;
        });
        recovery.setExecuteExistingDelayedTasksAfterShutdownPolicy(false);  // a retry left at close waits for the next start
        this.opener = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "key-service-open");
            t.setDaemon(true);
            return t;
        });
    }

    /**
     * Starts telling the destinations to discard the keys of the batches lost with the previous
     * run (retried every second until each destination answered).
     */
    void recoverLostBatches() {
        if (!lost.isEmpty()) {
            log.info("node {}: discarding the keys of {} prepared batches lost at the last stop", selfQkdnId,
                    lost.size());
            recovery.execute(this::discardLost);
        }
    }

    private void discardLost() {
        lost.removeIf(this::discardQuietly);
        if (!lost.isEmpty()) {
            try {
                recovery.schedule(this::discardLost, RECOVERY_RETRY_MILLIS, TimeUnit.MILLISECONDS);
            } catch (RejectedExecutionException e) {
                // closing: the records stay, and the next start discards these batches
            }
        }
    }

    /** Discards a batch's keys at its destination and forgets the batch; false when that failed. */
    private boolean discardQuietly(PreparedBatch b) {
        try {
            int erased = discarder.discard(b.destinationQkdnId(), b.serviceId(), b.keyIds());
            keys.forgetBatch(b.batchId());
            log.info("node {}: key service {}: {} keys of a lost batch of {} discarded at node {}", selfQkdnId,
                    b.serviceId(), erased, b.keyIds().size(), b.destinationQkdnId());
            return true;
        } catch (KeyDeliveryException | RuntimeException e) {
            log.warn("node {}: key service {}: cannot discard a lost batch of {} keys yet: {}", selfQkdnId,
                    b.serviceId(), b.keyIds().size(), e.getMessage());
            return false;
        }
    }

    private void discardLater(CarvedBatch batch, KeyServiceDefinition d) {
        PreparedBatch b = new PreparedBatch(batch.batchId(), d.serviceId(), d.destinationQkdnId(),
                batch.keys().stream().map(CarvedKey::keyId).toList());
        try {
            recovery.execute(() -> discardQuietly(b));
        } catch (RejectedExecutionException e) {
            // closing: the record stays, and the next start discards the batch
        }
    }

    /**
     * {@code number} ready keys of the service, each handed out exactly once, or {@code null} when
     * fewer are ready (then nothing is taken). Never blocks on disk or network.
     */
    List<CarvedKey> take(KeyServiceDefinition d, int number) {
        Run run = runs.get(d.serviceId());
        if (run == null) {
            topUp(d);
            return null;
        }
        List<CarvedKey> out = run.take(number);
        topUp(d, run);
        return out;
    }

    /**
     * As {@link #take}, but waits up to {@code timeoutNanos} for a batch to land when too few are
     * ready. For blocking threads only.
     */
    List<CarvedKey> await(KeyServiceDefinition d, int number, long timeoutNanos) throws InterruptedException {
        long deadline = System.nanoTime() + timeoutNanos;
        while (true) {
            List<CarvedKey> out = take(d, number);
            long left = deadline - System.nanoTime();
            if (out != null || left <= 0) {
                return out;
            }
            Run run = runs.get(d.serviceId());
            if (run != null) {
                run.awaitKeys(number, left);
            }
        }
    }

    /** Most keys the service's ready run holds: a request for more is never served from it. */
    long capacity(KeyServiceDefinition d) {
        return targetKeys(d);
    }

    /** Keys ready in memory for the service. Lock-free. */
    long readyKeys(UUID serviceId) {
        Run run = runs.get(serviceId);
        return run == null ? 0 : run.size();
    }

    /** Starts preparing batches while the service's ready run (with batches in flight) is below its target. */
    void topUp(KeyServiceDefinition d) {
        topUp(d, runs.computeIfAbsent(d.serviceId(), id -> new Run(targetKeys(d))));
    }

    private void topUp(KeyServiceDefinition d, Run run) {
        while (true) {
            int batch = run.claimBatch(System.nanoTime(), () -> keys.availableBits(d.serviceId()) / 8 / keyBytes);
            if (batch == 0) {
                return;
            }
            try {
                workers.execute(() -> prepare(d, run, batch));
            } catch (RejectedExecutionException e) {
                run.batchDone();
                return;  // closing
            }
        }
    }

    /** Drops the service's ready keys (erased); batches still in flight are erased when they land. */
    void forget(UUID serviceId) {
        Run run = runs.remove(serviceId);
        if (run != null) {
            run.close();
        }
    }

    /** Half the service's buffer, at most {@link #MAX_READY_KEYS}: the rest stays relayed key. */
    private long targetKeys(KeyServiceDefinition d) {
        return Math.max(1, Math.min(MAX_READY_KEYS, d.bufferBits() / 8 / keyBytes / 2));
    }

    private void prepare(KeyServiceDefinition d, Run run, int number) {
        CarvedBatch carved = null;
        try {
            carved = keys.carveBatch(d.serviceId(), number, keyBytes, d.destinationQkdnId());
            assigner.assign(d.destinationQkdnId(), d.serviceId(), carved);
            if (run.add(carved)) {
                carved = null;
            }
        } catch (ServiceKeyException e) {
            if (e.reason() != ServiceKeyException.Reason.INSUFFICIENT_KEY) {
                run.failedAt(System.nanoTime() + RETRY_AFTER_FAILURE_NANOS);
                log.warn("node {}: key service {}: cannot carve a batch of {} keys: {}", selfQkdnId, d.serviceId(),
                        number, e.getMessage());
            }
        } catch (KeyDeliveryException | RuntimeException e) {
            // Carved and maybe stored at the destination, but never served: the safe direction.
            run.failedAt(System.nanoTime() + RETRY_AFTER_FAILURE_NANOS);
            log.warn("node {}: key service {}: a batch of {} keys is dropped: {}", selfQkdnId, d.serviceId(), number,
                    e.getMessage());
        } finally {
            if (carved != null) {
                carved.keys().forEach(k -> Arrays.fill(k.key(), (byte) 0));
                if (carved.batchId() != null) {
                    discardLater(carved, d);
                }
            }
            run.batchDone();
        }
        if (runs.get(d.serviceId()) == run) {
            topUp(d, run);
        }
    }

    @Override
    public void close() {
        // No interrupt: an interrupted fsync closes the store's file channel (ClosedByInterruptException).
        workers.shutdown();
        recovery.shutdown();
        opener.shutdown();
        try {
            if (!workers.awaitTermination(2 * KeyAssignmentClient.DEADLINE_MS, TimeUnit.MILLISECONDS)
                    || !recovery.awaitTermination(2 * KeyAssignmentClient.DEADLINE_MS, TimeUnit.MILLISECONDS)
                    || !opener.awaitTermination(2 * KeyAssignmentClient.DEADLINE_MS, TimeUnit.MILLISECONDS)) {
                log.warn("node {}: key preparation still running after {} ms", selfQkdnId,
                        2 * KeyAssignmentClient.DEADLINE_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runs.keySet().forEach(this::forget);
    }

    /** A prepared batch in the ready run, not opened yet. */
    private record Batch(String id, List<CarvedKey> keys) {
    }

    /**
     * One service's ready keys and the batches being prepared for it. Opened keys are taken
     * lock-free: request threads reserve them on {@link #servableCount}, then poll them from
     * {@link #servable}, so the event loops never wait for each other. The monitor guards
     * {@link #unopened} and orders the writes of the volatile counters; {@link #opening} lets one
     * batch at a time be opened (on the opener).
     */
    private final class Run {
        private final long target;
        private final int batchSize;
        private final int openAhead;
        private final int openUpTo;
        private final ConcurrentLinkedQueue<CarvedKey> servable = new ConcurrentLinkedQueue<>();
        /** Keys in {@link #servable} not yet reserved by a request. */
        private final AtomicInteger servableCount = new AtomicInteger();
        private final ArrayDeque<Batch> unopened = new ArrayDeque<>();
        private final AtomicBoolean opening = new AtomicBoolean();
        private volatile int unopenedKeys;
        private volatile int batchesInFlight;
        private volatile long retryAfterNanos = Long.MIN_VALUE;
        private volatile boolean closed;

        Run(long target) {
            this.target = target;
            this.batchSize = (int) Math.min(BATCH_KEYS, Math.max(1, target / 4));
            this.openAhead = OPENED_AHEAD_BATCHES * batchSize;
            // One open brings the opened keys up to half the run: opening one batch per sync served
            // at most a batch per sync (1,024 keys per 20-50 ms on a busy disk), below the request
            // rate, and requests waited for the opener.
            this.openUpTo = (int) Math.max(openAhead, target / 2);
        }

        List<CarvedKey> take(int number) {
            int have;
            do {
                have = servableCount.get();
                if (have < number) {
                    openSoon();
                    return null;
                }
            } while (!servableCount.compareAndSet(have, have - number));
            List<CarvedKey> out = new ArrayList<>(number);
            for (int i = 0; i < number; i++) {
                CarvedKey k = servable.poll();
                if (k == null) {  // closed meanwhile, and erased
                    out.forEach(c -> Arrays.fill(c.key(), (byte) 0));
                    return null;
                }
                out.add(k);
            }
            if (have - number < openAhead) {
                openSoon();
            }
            return out;
        }

        long size() {
            return servableCount.get() + (long) unopenedKeys;
        }

        /**
         * Reserves the right to prepare one more batch and returns its size, or 0 when the run is
         * full enough, enough batches are in flight, a failure asks to wait, or there is no key.
         * Decides from the volatile counters first, so a full run costs a request no lock.
         */
        int claimBatch(long now, java.util.function.LongSupplier carvableKeys) {
            if (closed || now < retryAfterNanos || batchesInFlight >= MAX_BATCHES_IN_FLIGHT
                    || size() + (long) batchesInFlight * batchSize >= target) {
                return 0;
            }
            synchronized (this) {
                long coming = size() + (long) batchesInFlight * batchSize;
                if (closed || coming >= target || batchesInFlight >= MAX_BATCHES_IN_FLIGHT) {
                    return 0;
                }
                // Batches already in flight carve first: only what is left counts.
                long left = carvableKeys.getAsLong() - (long) batchesInFlight * batchSize;
                int size = (int) Math.min(batchSize, Math.min(target - coming, left));
                if (size <= 0) {
                    return 0;
                }
                batchesInFlight++;
                return size;
            }
        }

        synchronized void batchDone() {
            batchesInFlight--;
        }

        void failedAt(long retryAfter) {
            retryAfterNanos = retryAfter;
        }

        /** Adds a prepared batch, unopened; false (and nothing added) when the run was closed meanwhile. */
        boolean add(CarvedBatch batch) {
            synchronized (this) {
                if (closed) {
                    return false;
                }
                unopened.add(new Batch(batch.batchId(), batch.keys()));
                unopenedKeys += batch.keys().size();
            }
            if (servableCount.get() < openAhead) {
                openSoon();
            }
            return true;
        }

        /**
         * Has the opener open the first unopened batches, unless an open is under way: their keys
         * become servable once their records are durably gone. Never blocks: any thread may call it.
         */
        private void openSoon() {
            if (closed || unopenedKeys == 0 || !opening.compareAndSet(false, true)) {
                return;
            }
            try {
                opener.execute(this::openFirst);
            } catch (RejectedExecutionException e) {
                opening.set(false);  // closing
            }
        }

        /**
         * On the opener, which {@link #opening} lets one open at a time; never waits for the disk.
         * Opens the first batch, and the next ones while the opened keys stay below {@link #openUpTo}.
         */
        private void openFirst() {
            List<Batch> bs = new ArrayList<>();
            synchronized (this) {
                long opened = servableCount.get();
                for (Batch b; (bs.isEmpty() || opened < openUpTo) && (b = unopened.poll()) != null; ) {
                    bs.add(b);
                    unopenedKeys -= b.keys().size();
                    opened += b.keys().size();
                }
            }
            if (bs.isEmpty()) {
                opening.set(false);
                return;
            }
            keys.openBatches(bs.stream().map(Batch::id).toList()).whenComplete((done, failure) -> opened(bs, failure));
        }

        /** On the store's sync thread (or the caller's, if the open was already durable). */
        private void opened(List<Batch> bs, Throwable failure) {
            boolean served = false;
            if (failure == null) {
                synchronized (this) {
                    if (!closed) {
                        for (Batch b : bs) {
                            servable.addAll(b.keys());
                            servableCount.addAndGet(b.keys().size());
                        }
                        served = true;
                        notifyAll();
                    }
                }
            } else {
                failedAt(System.nanoTime() + RETRY_AFTER_FAILURE_NANOS);
                log.warn("node {}: {} prepared batches cannot be opened and are dropped: {}", selfQkdnId, bs.size(),
                        failure.getMessage());
            }
            if (!served) {
                bs.forEach(b -> b.keys().forEach(k -> Arrays.fill(k.key(), (byte) 0)));
            }
            opening.set(false);
            if (servableCount.get() < openAhead) {
                openSoon();
            }
        }

        /** Waits (at most {@code nanos}) until {@code number} keys are servable or the run closes. */
        synchronized void awaitKeys(int number, long nanos) throws InterruptedException {
            if (!closed && servableCount.get() < number) {
                TimeUnit.NANOSECONDS.timedWait(this, nanos);
            }
        }

        void close() {
            synchronized (this) {
                closed = true;
                notifyAll();
                for (Batch b : unopened) {
                    b.keys().forEach(k -> Arrays.fill(k.key(), (byte) 0));
                }
                unopened.clear();
                unopenedKeys = 0;
            }
            for (CarvedKey k; (k = servable.poll()) != null; ) {
                Arrays.fill(k.key(), (byte) 0);
            }
            servableCount.set(0);
        }
    }
}

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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.kms.store.ServiceKeyStore.CarvedKey;
import org.qkdnf.kms.store.ServiceKeyStore.ServiceKeyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * At a service's source: keeps a run of keys of the default size ready in memory, so that
 * {@code enc_keys} touches neither the disk nor the network. Keys are prepared in batches ahead of
 * demand, in this order, each step finished before the next starts:
 *
 * <ol>
 *   <li>carve a batch from the relayed key ({@link ServiceKeyStore#carve}): the source's watermark
 *       moves past the batch and is synced;</li>
 *   <li>assign the batch's key ids to the destination ({@link BatchAssigner}), which stores them
 *       durably before it answers (so the slave SAE can already ask for them);</li>
 *   <li>only then put the keys in the ready run, from which requests take them, each once.</li>
 * </ol>
 *
 * <p>What a crash can lose, and why nothing repeats. The durable watermark is a lease ahead of
 * what is served: every key in memory (ready, or in a batch being prepared) lies below it.
 * <ul>
 *   <li>Source killed (kill -9) at any point: the ready run and any batch in preparation are gone
 *       with the process. Their bytes are below the durable watermark, so the restarted source
 *       never carves them again: they are discarded (at most {@link #MAX_READY_KEYS} plus
 *       {@link #MAX_BATCHES_IN_FLIGHT} batches per service). Their key ids may be stored at the
 *       destination, but they are fresh UUIDs with 74 random bits that no SAE was ever told;
 *       the destination hands key only to the slave SAE that names a key id, so these are never
 *       served (they stay sealed until the service is removed).</li>
 *   <li>Destination killed, or its answer lost: a batch is served only after the destination
 *       acknowledged it, and it acknowledges only what it has synced. A batch without an answer
 *       is dropped here (erased, never served), whether or not the destination stored it.</li>
 *   <li>A batch is never assigned twice (it is dropped on any failure, not retried), and the
 *       destination refuses a segment overlapping bytes it already assigned, so even a repeated
 *       assignment could not give the same key under two ids.</li>
 * </ul>
 *
 * <p>Threads: request threads call {@link #take} (network threads) or {@link #await} (blocking
 * threads, which wait on the run's monitor for a batch); batches are prepared on {@code workers} (a
 * small pool: at most {@link #MAX_BATCHES_IN_FLIGHT} batches of a service at a time, so that one
 * batch's fsyncs and round trip overlap the next's). Each service's {@link Run} guards its own
 * state with its monitor.
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
    private static final Logger log = LoggerFactory.getLogger(KeyPreparer.class);

    /** Tells a service's destination which bytes make each key id; returns once it stored them. */
    @FunctionalInterface
    interface BatchAssigner {
        void assign(String destinationQkdnId, UUID serviceId, List<CarvedKey> keys) throws KeyDeliveryException;
    }

    private final String selfQkdnId;
    private final ServiceKeyStore keys;
    private final BatchAssigner assigner;
    private final int keyBytes;
    private final ExecutorService workers;
    private final Map<UUID, Run> runs = new ConcurrentHashMap<>();

    KeyPreparer(String selfQkdnId, ServiceKeyStore keys, BatchAssigner assigner, int keyBits, int threads) {
        this.selfQkdnId = selfQkdnId;
        this.keys = keys;
        this.assigner = assigner;
        this.keyBytes = keyBits / 8;
        AtomicInteger n = new AtomicInteger();
        this.workers = Executors.newFixedThreadPool(threads, r -> {
            Thread t = new Thread(r, "key-service-prepare-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
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
        topUp(d);
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
                run.awaitBatch(left);
            }
        }
    }

    /** Most keys the service's ready run holds: a request for more is never served from it. */
    long capacity(KeyServiceDefinition d) {
        return targetKeys(d);
    }

    /** Keys ready in memory for the service. */
    long readyKeys(UUID serviceId) {
        Run run = runs.get(serviceId);
        return run == null ? 0 : run.size();
    }

    /** Starts preparing batches while the service's ready run (with batches in flight) is below its target. */
    void topUp(KeyServiceDefinition d) {
        Run run = runs.computeIfAbsent(d.serviceId(), id -> new Run(targetKeys(d)));
        while (true) {
            int batch = run.claimBatch(System.nanoTime(), keys.availableBits(d.serviceId()) / 8 / keyBytes);
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
        List<CarvedKey> carved = null;
        try {
            carved = keys.carve(d.serviceId(), number, keyBytes);
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
                carved.forEach(k -> Arrays.fill(k.key(), (byte) 0));
            }
            run.batchDone();
        }
        if (runs.get(d.serviceId()) == run) {
            topUp(d);
        }
    }

    @Override
    public void close() {
        // No interrupt: an interrupted fsync closes the store's file channel (ClosedByInterruptException).
        workers.shutdown();
        try {
            if (!workers.awaitTermination(2 * KeyAssignmentClient.DEADLINE_MS, TimeUnit.MILLISECONDS)) {
                log.warn("node {}: key preparation still running after {} ms", selfQkdnId,
                        2 * KeyAssignmentClient.DEADLINE_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        runs.keySet().forEach(this::forget);
    }

    /** One service's ready keys and the batches being prepared for it. Guarded by its monitor. */
    private static final class Run {
        private final long target;
        private final ArrayDeque<CarvedKey> ready = new ArrayDeque<>();
        private int batchesInFlight;
        private long retryAfterNanos = Long.MIN_VALUE;
        private boolean closed;

        Run(long target) {
            this.target = target;
        }

        synchronized List<CarvedKey> take(int number) {
            if (ready.size() < number) {
                return null;
            }
            List<CarvedKey> out = new ArrayList<>(number);
            for (int i = 0; i < number; i++) {
                out.add(ready.poll());
            }
            return out;
        }

        synchronized int size() {
            return ready.size();
        }

        /**
         * Reserves the right to prepare one more batch and returns its size, or 0 when the run is
         * full enough, enough batches are in flight, a failure asks to wait, or there is no key.
         */
        synchronized int claimBatch(long now, long carvableKeys) {
            int batchSize = (int) Math.min(BATCH_KEYS, Math.max(1, target / 4));
            long coming = ready.size() + (long) batchesInFlight * batchSize;
            if (closed || coming >= target || batchesInFlight >= MAX_BATCHES_IN_FLIGHT || now < retryAfterNanos) {
                return 0;
            }
            // Batches already in flight carve first: only what is left counts.
            long left = carvableKeys - (long) batchesInFlight * batchSize;
            int size = (int) Math.min(batchSize, Math.min(target - coming, left));
            if (size <= 0) {
                return 0;
            }
            batchesInFlight++;
            return size;
        }

        synchronized void batchDone() {
            batchesInFlight--;
        }

        synchronized void failedAt(long retryAfter) {
            retryAfterNanos = retryAfter;
        }

        /** Adds a prepared batch; false (and nothing added) when the run was closed meanwhile. */
        synchronized boolean add(List<CarvedKey> batch) {
            if (closed) {
                return false;
            }
            ready.addAll(batch);
            notifyAll();
            return true;
        }

        /** Waits (at most {@code nanos}) until a batch lands or the run closes. */
        synchronized void awaitBatch(long nanos) throws InterruptedException {
            if (!closed) {
                TimeUnit.NANOSECONDS.timedWait(this, nanos);
            }
        }

        synchronized void close() {
            closed = true;
            notifyAll();
            for (CarvedKey k : ready) {
                Arrays.fill(k.key(), (byte) 0);
            }
            ready.clear();
        }
    }
}

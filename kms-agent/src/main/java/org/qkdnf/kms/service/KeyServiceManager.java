package org.qkdnf.kms.service;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.qkdnf.kms.api.DeliveredKey;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyDeliveryService;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.api.KeySupplyStatus;
import org.qkdnf.kms.relay.RelayNode;
import org.qkdnf.kms.relay.RelayedKeySink;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.kms.store.ServiceKeyStore.ServiceKeyException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key services of one key manager, at either end of their route.
 *
 * <p>At the source (the master SAE's key manager) a refill loop keeps {@code buffer_bits} of key
 * relayed ahead of demand: it relays fresh key of its own lane of the first link along the route
 * ({@link RelayNode#relayLaneKey}: the first hop names the key's range, which the first neighbour
 * holds too, with a one-time MAC; every later hop a one-time pad and MAC) and, once the
 * destination has stored it, keeps its own copy. Keys of the default size are carved out of that copy and assigned to
 * the destination in batches ahead of demand ({@link KeyPreparer}, which also states what a crash
 * can lose), so {@code enc_keys} takes them from memory; other sizes, or a request that finds too
 * few ready, are carved and assigned on the request's thread, durable at both ends before the
 * master SAE gets them. At the destination
 * (the slave SAE's key manager) relayed key and assignments are stored durably, and
 * {@code dec_keys} hands each key id to the slave SAE once.
 *
 * <p>Who gets what: a key id goes to the master SAE of its service once (when carved) and to the
 * slave SAE once; every other SAE is refused (401), as is a service's SAE at the wrong key manager.
 *
 * <p>The refill loop visits only the source services that can move ({@link RefillSchedule}): one
 * whose lane is dry waits, without a pass touching it, until the lane holds a chunk.
 *
 * <p>Threads: request threads (ETSI 014) and the relay's receiver call in concurrently; the
 * stores are thread-safe. The refill loop runs on its own thread and owns {@link #inFlight};
 * {@link KeyPreparer} prepares batches on its own threads.
 */
public final class KeyServiceManager implements KeyDeliveryService, RelayedKeySink, AutoCloseable {

    /**
     * Key carried by one relay message, bytes: a sixteenth of the service's buffer within these
     * bounds. Each chunk costs syncs at every node of the route, so big buffers (high demand) get
     * big chunks; small buffers keep small ones so the first key arrives soon.
     */
    static final int MIN_CHUNK_BYTES = 4096;
    static final int MAX_CHUNK_BYTES = 64 * 1024;
    static final int MAX_IN_FLIGHT_PER_SERVICE = 4;
    static final int KEY_SIZE_BITS = 256;
    static final int MIN_KEY_SIZE_BITS = 64;
    static final int MAX_KEY_SIZE_BITS = 8192;
    static final int MAX_KEYS_PER_REQUEST = 128;
    /** Threads preparing batches of ready keys (each mostly waits for an fsync or the destination). */
    static final int PREPARE_THREADS = 4;
    /** How long a request for default-size keys waits for the ready run before carving on its own. */
    static final long READY_WAIT_NANOS = TimeUnit.SECONDS.toNanos(1);
    private static final Logger log = LoggerFactory.getLogger(KeyServiceManager.class);

    private final String selfQkdnId;
    private final String kmeId;
    private final ServiceKeyStore keys;
    private final RelayNode relay;
    private final KeyAssignmentClient assignments;
    private final KeyPreparer prepared;
    private final ScheduledExecutorService refill;
    private final RefillSchedule schedule;
    private final Map<UUID, AtomicInteger> inFlight = new ConcurrentHashMap<>();
    private final Map<UUID, Long> retryAfterNanos = new ConcurrentHashMap<>();
    private final ServiceCounters counters = new ServiceCounters();

    public KeyServiceManager(String selfQkdnId, String kmeId, KeyPoolStore pools, ServiceKeyStore keys,
                             RelayNode relay, KeyAssignmentClient assignments) {
        this.selfQkdnId = selfQkdnId;
        this.kmeId = kmeId;
        this.keys = keys;
        this.relay = relay;
        this.assignments = assignments;
        this.prepared = new KeyPreparer(selfQkdnId, keys, assignments::assign, assignments::discard, KEY_SIZE_BITS,
                PREPARE_THREADS);
        this.schedule = new RefillSchedule(selfQkdnId, pools);
        keys.services().forEach(schedule::add);
        this.refill = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "key-service-refill");
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        prepared.recoverLostBatches();
        refill.scheduleWithFixedDelay(this::refillSafely, 0, 20, TimeUnit.MILLISECONDS);
    }

    /** Installs (or replaces) a service whose route passes through this node; durable when it returns. */
    public void install(KeyServiceDefinition d) {
        checkOnRoute(d);
        keys.putService(d);
        schedule.add(d);
        logInstalled(d);
    }

    /**
     * {@link #install} without waiting for the disk: the service is in effect at once and the
     * future completes once it is durable, so many installs share one sync. The future completes
     * on the store's sync thread.
     *
     * @throws IllegalArgumentException at once when the route does not pass through this node
     */
    public CompletableFuture<Void> installAsync(KeyServiceDefinition d) {
        checkOnRoute(d);
        return installAllAsync(List.of(d)).get(0);
    }

    /**
     * {@link #installAsync} for several services, one future each in the same order: a service
     * whose route does not pass through this node fails at once (IllegalArgumentException); the
     * others are stored together and wait for one sync.
     */
    public List<CompletableFuture<Void>> installAllAsync(List<KeyServiceDefinition> ds) {
        List<CompletableFuture<Void>> out = new ArrayList<>(ds.size());
        List<KeyServiceDefinition> onRoute = new ArrayList<>(ds.size());
        for (KeyServiceDefinition d : ds) {
            try {
                checkOnRoute(d);
                onRoute.add(d);
                out.add(null);  // the shared future, below
            } catch (IllegalArgumentException e) {
                out.add(CompletableFuture.failedFuture(e));
            }
        }
        CompletableFuture<Void> durable = onRoute.isEmpty() ? CompletableFuture.completedFuture(null)
                : keys.putServicesAsync(onRoute);
        onRoute.forEach(schedule::add);
        for (int i = 0, j = 0; i < out.size(); i++) {
            if (out.get(i) == null) {
                KeyServiceDefinition d = onRoute.get(j++);
                out.set(i, durable.thenRun(() -> logInstalled(d)));
            }
        }
        return out;
    }

    private void checkOnRoute(KeyServiceDefinition d) {
        if (!d.routeQkdnIds().contains(selfQkdnId)) {
            throw new IllegalArgumentException("route: does not pass through this node " + selfQkdnId);
        }
    }

    private static void logInstalled(KeyServiceDefinition d) {
        if (!log.isInfoEnabled()) {
            return;  // spares the arguments' array and boxing: this runs for every route installed
        }
        log.info("key service {} installed: {} -> {} over {} hops", d.serviceId(), d.masterSaeId(), d.slaveSaeId(),
                d.routeQkdlIds().size());
    }

    /**
     * Removes a service (route) and erases its relayed key; keys already assigned to key ids stay
     * for the slave SAE (see {@link ServiceKeyStore#removeService}). A no-op when it is not installed.
     */
    public boolean remove(UUID serviceId) {
        schedule.remove(serviceId);
        relay.forgetService(serviceId);
        inFlight.remove(serviceId);
        prepared.forget(serviceId);
        return keys.removeService(serviceId);
    }

    /**
     * Syncs of the service key store since it opened: installs that share one (group commit) cost
     * one; benchmarks divide it by the routes installed.
     */
    public long storeSyncs() {
        return keys.syncCount();
    }

    public List<KeyServiceDefinition> services() {
        return keys.services();
    }

    public ServiceCounters counters() {
        return counters;
    }

    // --- ETSI GS QKD 014 --------------------------------------------------------------------------

    /** Never waits for disk or network: a network thread may call it. */
    @Override
    public KeySupplyStatus status(String masterSaeId, String slaveSaeId) throws KeyDeliveryException {
        KeyServiceDefinition d = serviceFor(masterSaeId, slaveSaeId, true)
                .or(() -> serviceFor(masterSaeId, slaveSaeId, false))
                .orElseThrow(() -> unauthorized(masterSaeId, slaveSaeId));
        long stored = d.sourceQkdnId().equals(selfQkdnId)
                ? keys.availableBits(d.serviceId()) / KEY_SIZE_BITS + prepared.readyKeys(d.serviceId())
                : keys.assignedKeyCount(d.masterSaeId(), d.slaveSaeId());
        return new KeySupplyStatus(kmeIdOf(d.sourceQkdnId()), kmeIdOf(d.destinationQkdnId()), d.masterSaeId(),
                d.slaveSaeId(), KEY_SIZE_BITS, stored, maxStoredKeys(d), MAX_KEYS_PER_REQUEST, MAX_KEY_SIZE_BITS,
                MIN_KEY_SIZE_BITS, 0);
    }

    /**
     * The most keys the source can hold for a service, its status's {@code max_key_count}. The
     * refill relays another chunk while the buffer, the ready run and the chunks in flight hold
     * less than {@code buffer_bits}, so the relayed key can reach {@code buffer_bits} plus one
     * chunk; and batches being prepared (carved, not yet in the ready run) are not counted while in
     * preparation, so the ready run can still grow by up to its target after that.
     */
    private long maxStoredKeys(KeyServiceDefinition d) {
        return (d.bufferBits() + chunkBytes(d) * 8L) / KEY_SIZE_BITS + prepared.capacity(d);
    }

    @Override
    public List<DeliveredKey> encKeys(String masterSaeId, String slaveSaeId, int number, int sizeBits)
            throws KeyDeliveryException {
        KeyServiceDefinition d = serviceFor(masterSaeId, slaveSaeId, true)
                .orElseThrow(() -> unauthorized(masterSaeId, slaveSaeId));
        List<ServiceKeyStore.CarvedKey> carved = null;
        if (sizeBits == KEY_SIZE_BITS && number <= prepared.capacity(d)) {
            // Waiting for the next batch beats carving here: a carve and an assignment per request
            // would take the same relayed key at a far higher cost in syncs, and starve the batches.
            try {
                carved = prepared.await(d, number, READY_WAIT_NANOS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE, "interrupted; retry");
            }
        }
        return delivered(carved != null ? carved : carveAndAssign(d, number, sizeBits));
    }

    /**
     * Keys for the master SAE from the ready run alone, or {@code null} when it has too few (or
     * the size is not the default): never waits for disk or network, so a network thread may call it.
     */
    public List<DeliveredKey> readyEncKeys(String masterSaeId, String slaveSaeId, int number, int sizeBits)
            throws KeyDeliveryException {
        KeyServiceDefinition d = serviceFor(masterSaeId, slaveSaeId, true)
                .orElseThrow(() -> unauthorized(masterSaeId, slaveSaeId));
        List<ServiceKeyStore.CarvedKey> carved = sizeBits == KEY_SIZE_BITS ? prepared.take(d, number) : null;
        return carved == null ? null : delivered(carved);
    }

    private List<DeliveredKey> delivered(List<ServiceKeyStore.CarvedKey> carved) {
        counters.deliveredToMaster.addAndGet(carved.size());
        List<DeliveredKey> out = new ArrayList<>(carved.size());
        carved.forEach(c -> out.add(new DeliveredKey(c.keyId(), c.key())));
        return out;
    }

    /** The slow path: carve on this thread and wait for the destination's durable assignment. */
    private List<ServiceKeyStore.CarvedKey> carveAndAssign(KeyServiceDefinition d, int number, int sizeBits)
            throws KeyDeliveryException {
        ServiceKeyStore.CarvedBatch carved;
        try {
            carved = keys.carve(d.serviceId(), number, sizeBits / 8);
        } catch (ServiceKeyException e) {
            if (e.reason() == ServiceKeyException.Reason.INSUFFICIENT_KEY) {
                throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE,
                        "not enough key relayed for this SAE pair yet; retry shortly");
            }
            throw unavailable(e);
        }
        try {
            assignments.assign(d.destinationQkdnId(), d.serviceId(), carved);
        } catch (KeyDeliveryException e) {
            // The carved key is lost (never handed out): the safe direction.
            carved.keys().forEach(c -> Arrays.fill(c.key(), (byte) 0));
            throw e;
        }
        return carved.keys();
    }

    @Override
    public List<DeliveredKey> decKeys(String slaveSaeId, String masterSaeId, List<UUID> keyIds)
            throws KeyDeliveryException {
        if (serviceFor(masterSaeId, slaveSaeId, false).isEmpty() && !keys.hasRetired(masterSaeId, slaveSaeId)) {
            throw unauthorized(masterSaeId, slaveSaeId);
        }
        List<DeliveredKey> out = new ArrayList<>(keyIds.size());
        for (UUID id : keyIds) {
            try {
                // By pair, not by route: the key may have come over a route that a reroute or a
                // 1+1 switch has replaced, or over either route of a 1+1 pair.
                out.add(new DeliveredKey(id, keys.takeAssigned(id, masterSaeId, slaveSaeId)));
            } catch (ServiceKeyException e) {
                if (e.reason() == ServiceKeyException.Reason.UNKNOWN_KEY) {
                    throw new KeyDeliveryException(KeyDeliveryException.Reason.BAD_REQUEST,
                            "key_ID " + id + ": unknown for this SAE pair, or already delivered"
                                    + (out.isEmpty() ? "" : " (" + out.size() + " earlier key_IDs of the request"
                                    + " were delivered and are gone)"));
                }
                throw unavailable(e);
            }
        }
        counters.deliveredToSlave.addAndGet(out.size());
        return out;
    }

    /**
     * A service (route) of the pair whose master (source) or slave (destination) end is this node.
     * A pair may have several routes at once (1+1, a split, a reroute made before the old route is
     * broken): at the source the one with the most key ready serves, so a route that stopped
     * carrying key (a cut link) is not asked while another has key; ties go to the first installed.
     */
    private Optional<KeyServiceDefinition> serviceFor(String master, String slave, boolean atSource) {
        KeyServiceDefinition best = null;
        long bestBits = -1;
        for (KeyServiceDefinition d : keys.services(master, slave)) {
            if ((atSource ? d.sourceQkdnId() : d.destinationQkdnId()).equals(selfQkdnId)) {
                if (!atSource) {
                    return Optional.of(d);
                }
                long bits = keys.availableBits(d.serviceId()) + prepared.readyKeys(d.serviceId()) * KEY_SIZE_BITS;
                if (bits > bestBits) {
                    best = d;
                    bestBits = bits;
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private String kmeIdOf(String qkdnId) {
        return qkdnId.equals(selfQkdnId) ? kmeId : qkdnId;
    }

    private static KeyDeliveryException unauthorized(String master, String slave) {
        return new KeyDeliveryException(KeyDeliveryException.Reason.UNAUTHORIZED,
                "no key service from master SAE " + master + " to slave SAE " + slave + " at this KME");
    }

    private static KeyDeliveryException unavailable(RuntimeException e) {
        return new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE, "key store: " + e.getMessage());
    }

    // --- relay ------------------------------------------------------------------------------------

    /** At the destination: relayed key arrives; stored durably before the relay acknowledges it. */
    @Override
    public void accept(UUID serviceId, long sequence, byte[] key) {
        KeyServiceDefinition d = keys.service(serviceId).orElseThrow(() -> new IllegalStateException(
                "no key service " + serviceId + " installed at node " + selfQkdnId));
        if (!d.destinationQkdnId().equals(selfQkdnId)) {
            throw new IllegalStateException("node " + selfQkdnId + " is not the destination of key service "
                    + serviceId);
        }
        try {
            keys.putChunk(serviceId, sequence, key);
            counters.bitsReceived.addAndGet(key.length * 8L);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    private void refillSafely() {
        try {
            refillOnce();
        } catch (RuntimeException e) {
            log.error("node {}: key service refill failed", selfQkdnId, e);
        }
    }

    private void refillOnce() {
        long now = System.nanoTime();
        for (RefillSchedule.Source s : schedule.active()) {
            KeyServiceDefinition d = s.definition;
            if (!retryAfterNanos.isEmpty() && now < retryAfterNanos.getOrDefault(d.serviceId(), 0L)) {
                continue;
            }
            AtomicInteger flying = inFlight.get(d.serviceId());
            if ((flying == null || flying.get() == 0) && keys.availableBits(d.serviceId()) < KEY_SIZE_BITS
                    && schedule.laneBits(s.lane) < s.startBits) {
                // What the pass below would find, without setting up the service's ready run and
                // relay state: a route just installed usually waits here until key flows.
                schedule.park(s);
                continue;
            }
            prepared.topUp(d);
            if (flying == null) {
                flying = inFlight.computeIfAbsent(d.serviceId(), k -> new AtomicInteger());
            }
            long have = keys.availableBits(d.serviceId()) + prepared.readyKeys(d.serviceId()) * KEY_SIZE_BITS
                    + flying.get() * s.chunkBits;
            boolean dry = false;
            while (have < d.bufferBits() && flying.get() < MAX_IN_FLIGHT_PER_SERVICE) {
                if (!relayChunk(s, flying)) {
                    dry = true;
                    break;
                }
                have += s.chunkBits;
            }
            // Nothing in flight and nothing left to carve: only key in the lane can move it.
            if (dry && flying.get() == 0 && keys.availableBits(d.serviceId()) < KEY_SIZE_BITS) {
                schedule.park(s);
            }
        }
    }

    static int chunkBytes(KeyServiceDefinition d) {
        return (int) Math.max(MIN_CHUNK_BYTES, Math.min(MAX_CHUNK_BYTES, d.bufferBits() / 8 / 16));
    }

    /** Starts relaying one chunk of fresh first-link key; false when there is none to take now. */
    private boolean relayChunk(RefillSchedule.Source s, AtomicInteger flying) {
        KeyServiceDefinition d = s.definition;
        if (schedule.laneBits(s.lane) < s.startBits) {
            return false;  // the normal "no key yet", checked without the cost of a refused reserve
        }
        long sequence = keys.takeSequence(d.serviceId());
        flying.incrementAndGet();
        // The relay's first hop takes the chunk from the lane and names it to the first neighbour,
        // which holds the same bits: no reserve here, and no pad for it on the first link.
        int chunkBytes = (int) (s.chunkBits / 8);
        relay.relayLaneKey(d.serviceId(), sequence, d.routeQkdnIds(), chunkBytes).whenComplete((relayed, failure) -> {
            try {
                if (failure == null) {
                    keys.putChunk(d.serviceId(), sequence, relayed.key());
                    counters.bitsRelayed.addAndGet(s.chunkBits);
                } else {
                    keys.abandonSequence(d.serviceId(), sequence);
                    counters.relayFailures.incrementAndGet();
                    retryAfterNanos.put(d.serviceId(), System.nanoTime() + TimeUnit.SECONDS.toNanos(1));
                    log.warn("node {}: key service {}: relay of chunk {} failed: {}", selfQkdnId, d.serviceId(),
                            sequence, failure.getMessage());
                }
            } catch (RuntimeException e) {
                log.warn("node {}: key service {}: keeping chunk {} failed: {}", selfQkdnId, d.serviceId(), sequence,
                        e.getMessage());
            } finally {
                if (relayed != null) {
                    relayed.erase();  // kept by putChunk (sealed), or never used
                }
                flying.decrementAndGet();
            }
        });
        return true;
    }

    @Override
    public void close() {
        // No interrupt: an interrupted fsync closes the store's file channel (ClosedByInterruptException).
        refill.shutdown();
        try {
            if (!refill.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("node {}: key service refill still running after 10 s", selfQkdnId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        prepared.close();
    }

    /** Counters of this key manager's services. Thread-safe. */
    public static final class ServiceCounters {
        final AtomicLong deliveredToMaster = new AtomicLong();
        final AtomicLong deliveredToSlave = new AtomicLong();
        final AtomicLong bitsRelayed = new AtomicLong();
        final AtomicLong bitsReceived = new AtomicLong();
        final AtomicLong relayFailures = new AtomicLong();

        public long keysDeliveredToMaster() {
            return deliveredToMaster.get();
        }

        public long keysDeliveredToSlave() {
            return deliveredToSlave.get();
        }

        /** Key bits this node relayed as a source and the destination stored. */
        public long bitsRelayed() {
            return bitsRelayed.get();
        }

        /** Key bits that arrived here as a destination. */
        public long bitsReceived() {
            return bitsReceived.get();
        }

        public long relayFailures() {
            return relayFailures.get();
        }
    }
}

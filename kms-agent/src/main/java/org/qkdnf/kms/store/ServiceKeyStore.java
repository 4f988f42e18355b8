package org.qkdnf.kms.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.AEADBadTagException;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.qkdnf.common.atrest.AtRestCipher;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.common.atrest.SealedStoreFile;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.kms.api.KeyServiceDefinition;

/**
 * The key of key services, durable and sealed (AES-256-GCM under the node's store key, like the
 * pools): relayed chunks, the source's carving watermark, and the keys assigned to key ids that
 * wait for the slave SAE.
 *
 * <p>A service's key is a sequence of chunks, each relayed end to end under a sequence number.
 * Both ends keep the chunks the relay delivered. The source carves keys out of them in order
 * in batches ({@link #carve}), the watermark durable before any key leaves, and tells the
 * destination which chunk segments make each batch; the destination takes exactly those segments
 * ({@link #assignBatch}), in whatever order the batches arrive but never a byte twice (each chunk
 * keeps a bit per byte assigned), and keeps each key until the slave SAE asks for it once
 * ({@link #takeAssigned}). A batch's key ids derive from its first (the last bits number the keys),
 * so each end keeps one record per batch, not per key, and the destination seals the keys in pages
 * ({@link #PAGE_KEYS}): one durable commit at each end per batch.
 * Bytes of a chunk that no assignment ever names (key the source carved but could not assign)
 * stay sealed until the service is removed. Key material is erased as soon as
 * it is handed out.
 *
 * <p>What a long-running service leaves behind stays bounded: a batch's records go with its last
 * key, and a used-up chunk's record goes once every earlier sequence is used up or known never to
 * come (the service's chunk floor, {@link #advanceFloor}); what lies below the floor is refused,
 * so a chunk is never kept twice. The floor waits for the oldest chunk that still holds key:
 * a chunk the destination keeps but the source never carves (its relay reported a failure after
 * delivery) holds it there, and the records above it, until the service is removed.
 *
 * <p>Thread-safe: operations are serialised on one lock; durability is awaited outside it, so
 * concurrent operations share a sync (group commit). The service definitions and the per-service
 * counters are also kept in memory and read without the lock (request threads ask for them on
 * every ETSI 014 call); the definitions live in {@link ServiceDefinitions}, in the same file and
 * commits.
 */
public final class ServiceKeyStore implements AutoCloseable {

    /** One piece of a key: {@code lengthBytes} from {@code offsetBytes} of chunk {@code sequence}. */
    public record Segment(long sequence, int offsetBytes, int lengthBytes) {
    }

    /**
     * Keys carved together, as the source tells the destination ({@link #assignBatch}): {@code count}
     * keys of {@code keyBytes}, made of the segments' bytes one after the other, key {@code i}
     * (from 0) under {@link #keyId keyId(firstKeyId, i)}. One record per batch at each end, not one
     * per key.
     */
    public record AssignedBatch(UUID firstKeyId, int count, int keyBytes, List<Segment> segments) {
    }

    /** A key carved at the source: its id and the key. */
    public record CarvedKey(UUID keyId, byte[] key) {
        @Override
        public String toString() {
            return "CarvedKey[" + keyId + ", " + key.length * 8 + " bits]";
        }
    }

    /**
     * A batch the source carved ({@link #carve}, {@link #carveBatch}). For the ready run
     * ({@code batchId} not null) its keys may be assigned at the destination, but none has been
     * handed out until the batch is opened ({@link #openBatch}).
     */
    public record CarvedBatch(String batchId, AssignedBatch assignment, List<CarvedKey> keys) {
    }

    /** Keys per batch at most: a key's index in its batch is the last {@value #INDEX_BITS} bits of its id. */
    public static final int MAX_BATCH_KEYS = 1024;
    static final int INDEX_BITS = 10;
    /**
     * Keys sealed together at the destination: a batch is stored as pages of this many keys, so
     * that assigning it costs a seal per page and taking a key opens and re-seals one small page.
     */
    static final int PAGE_KEYS = 32;
    /** Bounds of an assigned batch, so that its bytes fit one array and its record stays small. */
    static final int MAX_KEY_BYTES = 64 * 1024;
    static final int MAX_SEGMENTS = 65_535;

    /** The id of key {@code index} of the batch whose first key is {@code firstKeyId}. */
    public static UUID keyId(UUID firstKeyId, int index) {
        return new UUID(firstKeyId.getMostSignificantBits(), firstKeyId.getLeastSignificantBits() | index);
    }

    /**
     * The record of a carved batch not yet opened: after a restart, its key ids are known to no SAE
     * and the destination may discard them.
     */
    public record PreparedBatch(String batchId, UUID serviceId, String destinationQkdnId, List<UUID> keyIds) {
    }

    /** Why an operation failed. */
    public static final class ServiceKeyException extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** The failure classes. */
        public enum Reason { UNKNOWN_SERVICE, INSUFFICIENT_KEY, REPLAY, UNKNOWN_KEY, CONFLICT, CORRUPT }

        private final Reason reason;

        ServiceKeyException(Reason reason, String message) {
            super(message, null, false, false);
            this.reason = reason;
        }

        public Reason reason() {
            return reason;
        }
    }

    private final MVStore mv;
    private final AtRestCipher cipher;
    private final GroupCommit commits;
    /** The installed services (routes); changed only under lock inside an apply. */
    private final ServiceDefinitions definitions;
    /** "svc/seq" -> sealed chunk. */
    private final MVMap<String, byte[]> chunks;
    /**
     * "svc/seq" -> bytes of the chunk already carved, at the source (which carves in order);
     * {@link Integer#MAX_VALUE} once a chunk is used up and erased, at either end, or (at the
     * source) its relay failed. Only at or above the service's {@link #chunkFloor}: below it these
     * records are dropped, so the map holds the chunks in use and a few recent ones, not one
     * record per chunk ever relayed.
     */
    private final MVMap<String, Integer> taken;
    /**
     * serviceId -> the service's chunk floor: no relay sequence below it will ever be stored here
     * again (its chunk was used up, or will never come), so below it nothing is recorded and
     * {@link #putChunk} refuses it. Raised in the same commit that uses a chunk up ({@link #advanceFloor}).
     */
    private final MVMap<String, Long> chunkFloor;
    /**
     * At the source: serviceId -> the next relay sequence when the store was opened. No relay of
     * an earlier run completes in this one, so a sequence below it without a chunk never gets one.
     * Immutable after the constructor.
     */
    private final Map<String, Long> issuedBeforeOpen;
    /**
     * "svc/seq" -> the chunk's bytes already assigned to key ids, at the destination, as a bit set
     * (one bit per byte): assignments may arrive in any order, each byte is taken at most once.
     */
    private final MVMap<String, byte[]> assignedBytes;
    /**
     * At the destination: first key id of an assigned batch -> its {@link BatchRecord} (service,
     * size, segments), to check a key's pair and recognise a repeated assignment. Removed with the
     * batch's last key (its bytes are then marked used, so a repeat is refused as a replay); a batch
     * whose ids were discarded before it arrived is kept, barred, so it can never arrive.
     */
    private final MVMap<UUID, byte[]> keyBatches;
    /**
     * At the destination: first key id of a page ({@link #PAGE_KEYS} keys of a batch) -> the keys
     * not yet taken by the slave SAE: a bit per key taken (int), then the page's keys sealed, the
     * taken ones zeroed. Removed with its last key.
     */
    private final MVMap<UUID, byte[]> keyPages;
    /**
     * serviceId -> definition of a removed service (route) whose assigned keys still wait for the
     * slave SAE: a route replaced by the controller (reroute, 1+1 switch) must not take with it key
     * ids the master SAE already holds. Dropped with the last of its keys.
     */
    private final MVMap<String, String> retired;
    /** serviceId -> the next relay sequence number the source may use (attempts included). */
    private final MVMap<String, Long> nextSequence;
    /**
     * At the source: "svc/first key id" -> destination, first key id and count of a batch carved
     * for the ready run and not opened yet (see {@link PreparedBatch}); removed when it is opened or
     * discarded.
     */
    private final MVMap<String, byte[]> preparedBatches;
    private final Object lock = new Object();
    private final java.security.SecureRandom keyIdRandom = new java.security.SecureRandom();
    /**
     * Unused bytes of each service's chunks and keys waiting for a slave: changed under lock in
     * step with the maps, read without it.
     */
    private final Map<UUID, Long> unusedBytes = new ConcurrentHashMap<>();
    private final Map<UUID, Long> waitingKeys = new ConcurrentHashMap<>();
    /** Decoded {@link #retired}; replaced (copy on write) under lock, read without it. */
    private volatile Map<UUID, KeyServiceDefinition> retiredCache = Map.of();

    private ServiceKeyStore(SealedStoreFile.Opened opened) {
        this.mv = opened.mv();
        this.cipher = opened.cipher();
        this.commits = new GroupCommit(mv);
        this.definitions = new ServiceDefinitions(mv);
        this.chunks = mv.openMap("chunks");
        this.taken = mv.openMap("taken");
        this.chunkFloor = mv.openMap("chunkFloor");
        // New names, not the per-key maps of earlier builds ("assigned", "assignedMeta"), which
        // are no longer read.
        this.keyBatches = mv.openMap("keyBatches", new MVMap.Builder<UUID, byte[]>().keyType(UuidDataType.INSTANCE));
        this.keyPages = mv.openMap("keyPages", new MVMap.Builder<UUID, byte[]>().keyType(UuidDataType.INSTANCE));
        this.retired = mv.openMap("retired");
        this.nextSequence = mv.openMap("nextSequence");
        this.assignedBytes = mv.openMap("assignedBytes");
        this.preparedBatches = mv.openMap("preparedKeyBatches");
        this.issuedBeforeOpen = Map.copyOf(nextSequence);
        for (Map.Entry<String, byte[]> e : chunks.entrySet()) {
            int length = e.getValue().length - AtRestCipher.OVERHEAD;
            int used = Math.max(taken.getOrDefault(e.getKey(), 0), assignedCount(e.getKey()));
            unusedBytes.merge(serviceOf(e.getKey()), (long) (length - used), Long::sum);
        }
        for (Map.Entry<UUID, byte[]> e : keyPages.entrySet()) {
            BatchRecord b = BatchRecord.decode(keyBatches.get(batchOf(e.getKey())));
            int left = b.keysInPage(e.getKey()) - Integer.bitCount(takenBits(e.getValue()));
            waitingKeys.merge(b.serviceId(), (long) left, Long::sum);
        }
        refreshRetiredCache();
    }

    /** After a change of the retired map. Call under lock (or before the store is shared). */
    private void refreshRetiredCache() {
        Map<UUID, KeyServiceDefinition> r = new LinkedHashMap<>();
        for (Map.Entry<String, String> e : retired.entrySet()) {
            UUID id = UUID.fromString(e.getKey());
            r.put(id, decode(id, e.getValue()));
        }
        retiredCache = Map.copyOf(r);
    }

    /**
     * Opens (creating if absent) the store file, sealed under the key in {@code keyFile}.
     *
     * @throws IOException naming the file when it cannot be opened or a stored record cannot be read
     */
    public static ServiceKeyStore open(Path file, Path keyFile) throws IOException {
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "service key store");
        try {
            return new ServiceKeyStore(opened);
        } catch (RuntimeException e) {
            opened.mv().closeImmediately();
            throw new IOException("service key store " + file + ": " + e.getMessage(), e);
        }
    }

    // --- services ----------------------------------------------------------------------------

    /** Stores (or replaces) a service; durable before it returns. */
    public void putService(KeyServiceDefinition d) {
        byte[] record = ServiceDefinitions.encode(d);
        long ticket;
        synchronized (lock) {
            ticket = commits.apply(() -> applyPut(d, record));
        }
        commits.awaitDurable(ticket);
    }

    /**
     * Stores (or replaces) a service without waiting for the disk: readers see it at once, and the
     * future completes once it is durable (or fails as {@link #putService} would throw). Many of
     * these share one sync (group commit). The future completes on the store's sync thread:
     * dependent stages must be short or run on their own executor.
     */
    public CompletableFuture<Void> putServiceAsync(KeyServiceDefinition d) {
        return putServicesAsync(List.of(d));
    }

    /**
     * {@link #putServiceAsync} for several services at once: one lock, one ticket and one future for
     * all (a batch of route commands from the controller becomes one wait for one sync, and its
     * answers leave together). The same definition again changes nothing, but its future still
     * waits for the earlier put to be durable.
     */
    public CompletableFuture<Void> putServicesAsync(List<KeyServiceDefinition> batch) {
        List<byte[]> records = new ArrayList<>(batch.size());
        long ticket;
        try {
            for (KeyServiceDefinition d : batch) {
                records.add(ServiceDefinitions.encode(d));  // outside the lock that every store operation takes
            }
            synchronized (lock) {
                ticket = commits.apply(() -> {
                    for (int i = 0; i < batch.size(); i++) {
                        applyPut(batch.get(i), records.get(i));
                    }
                });
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return commits.whenDurable(ticket);
    }

    /** Inside an apply, under lock: a put of an installed route takes it out of the retired ones. */
    private void applyPut(KeyServiceDefinition d, byte[] record) {
        if (definitions.put(d, record) && retiredCache.containsKey(d.serviceId())
                && retired.remove(d.serviceId().toString()) != null) {
            refreshRetiredCache();
        }
    }

    public Optional<KeyServiceDefinition> service(UUID serviceId) {
        return Optional.ofNullable(definitions.get(serviceId));
    }

    /** The installed services (routes) of one SAE pair, in id order; lock-free, without walking every service. */
    public List<KeyServiceDefinition> services(String masterSaeId, String slaveSaeId) {
        return definitions.ofPair(masterSaeId, slaveSaeId);
    }

    /** The installed services, in id order; an immutable snapshot, cheap to call. */
    public List<KeyServiceDefinition> services() {
        return definitions.list();
    }

    /**
     * Removes a service and erases its relayed key, except keys already assigned to key ids: those
     * ids may be in the master SAE's hands, so they stay for the slave SAE ({@link #takeAssigned(UUID,
     * String, String)}) until taken, under the removed service's SAE pair.
     */
    public boolean removeService(UUID serviceId) {
        String prefix = serviceId + "/";
        boolean[] existed = new boolean[1];
        durably(() -> {
            KeyServiceDefinition definition = definitions.remove(serviceId);
            existed[0] = definition != null;
            nextSequence.remove(serviceId.toString());
            chunkFloor.remove(serviceId.toString());
            for (String k : keysWithPrefix(taken, prefix)) {
                chunks.remove(k);
                taken.remove(k);
                assignedBytes.remove(k);
            }
            unusedBytes.remove(serviceId);
            long waiting = forgetTakenBatches(serviceId);
            if (waiting > 0 && definition != null) {
                retired.put(serviceId.toString(), encode(definition));
                refreshRetiredCache();
                waitingKeys.put(serviceId, waiting);
            } else if (definition != null) {
                waitingKeys.remove(serviceId);
            }
        });
        return existed[0];
    }

    /** Whether keys of a removed service of this SAE pair still wait at this node. Lock-free. */
    public boolean hasRetired(String masterSaeId, String slaveSaeId) {
        for (KeyServiceDefinition d : retiredCache.values()) {
            if (d.masterSaeId().equals(masterSaeId) && d.slaveSaeId().equals(slaveSaeId)) {
                return true;
            }
        }
        return false;
    }

    /**
     * At the source: a relay sequence number never used before for the service, durable before it
     * is returned, so that a restarted source never repeats one the relay has already seen.
     */
    public long takeSequence(UUID serviceId) {
        requireService(serviceId);
        long[] seq = new long[1];
        durably(() -> {
            seq[0] = nextSequence.getOrDefault(serviceId.toString(), 1L);
            nextSequence.put(serviceId.toString(), seq[0] + 1);
        });
        return seq[0];
    }

    // --- chunks ------------------------------------------------------------------------------

    /**
     * Stores a relayed chunk. Storing the same chunk again is a no-op; another content under the
     * same sequence number is refused ({@code CONFLICT}); a chunk used up (or, at the source, whose
     * relay failed) or below the service's chunk floor is refused ({@code REPLAY}), so that its key
     * is never kept twice and the relay reports the refusal.
     */
    public void putChunk(UUID serviceId, long sequence, byte[] key) {
        requireService(serviceId);
        String id = chunkId(serviceId, sequence);
        synchronized (lock) {
            byte[] existing = chunks.get(id);
            if (existing != null) {
                if (!Arrays.equals(open(id, existing), key)) {
                    throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "chunk " + sequence
                            + " of service " + serviceId + " is stored with other content");
                }
                return;
            }
            if (taken.containsKey(id) || sequence < floorOf(serviceId)) {
                throw new ServiceKeyException(ServiceKeyException.Reason.REPLAY, "chunk " + sequence + " of service "
                        + serviceId + " was used up here or can no longer be kept (below chunk floor "
                        + floorOf(serviceId) + ")");
            }
        }
        byte[] sealed = cipher.seal(aad(id), key, 0, key.length);
        durably(() -> {
            if (!chunks.containsKey(id) && !taken.containsKey(id) && sequence >= floorOf(serviceId)) {
                chunks.put(id, sealed);
                taken.put(id, 0);
                unusedBytes.merge(serviceId, (long) key.length, Long::sum);
            }
        });
    }

    /** Unused key of a service's chunks, bits. Lock-free; may lag an operation in progress. */
    public long availableBits(UUID serviceId) {
        return unusedBytes.getOrDefault(serviceId, 0L) * 8;
    }

    /**
     * At the source: carves {@code number} keys (at most {@link #MAX_BATCH_KEYS}) of
     * {@code sizeBytes} from the service's chunks in sequence order, as one batch under fresh key
     * ids. Durable before it returns; nothing is carved when there is not enough key
     * ({@code INSUFFICIENT_KEY}).
     */
    public CarvedBatch carve(UUID serviceId, int number, int sizeBytes) {
        return carve(serviceId, number, sizeBytes, null);
    }

    /**
     * As {@link #carve}, for the ready run: the same commit records the batch (its key ids and
     * destination) as prepared and not opened, until {@link #openBatch} or {@link #forgetBatch}.
     */
    public CarvedBatch carveBatch(UUID serviceId, int number, int sizeBytes, String destinationQkdnId) {
        return carve(serviceId, number, sizeBytes, destinationQkdnId);
    }

    /** {@code recordFor}: the destination to record the batch for, or {@code null} to record none. */
    private CarvedBatch carve(UUID serviceId, int number, int sizeBytes, String recordFor) {
        requireService(serviceId);
        if (number < 1 || number > MAX_BATCH_KEYS || sizeBytes < 1) {
            throw new IllegalArgumentException("number: 1.." + MAX_BATCH_KEYS + " keys of at least 1 byte, got "
                    + number + " of " + sizeBytes);
        }
        String batchId;
        CarvedBatch out;
        long ticket;
        synchronized (lock) {
            long available = unusedBytes.getOrDefault(serviceId, 0L);
            long carvedBytes = (long) number * sizeBytes;
            if (available < carvedBytes) {
                throw new ServiceKeyException(ServiceKeyException.Reason.INSUFFICIENT_KEY, "service " + serviceId
                        + " holds " + available * 8 + " bits of relayed key, " + carvedBytes * 8 + " asked");
            }
            // Only the chunks this request needs, in sequence order; the batch's bytes in one array.
            List<String> ids = firstChunks(serviceId, carvedBytes);
            byte[] all = new byte[(int) carvedBytes];
            List<Segment> segments = new ArrayList<>(ids.size());
            List<String> finished = new ArrayList<>();
            String current = null;
            int currentUsed = 0;
            int filled = 0;
            for (String id : ids) {
                byte[] plain = open(id, chunks.get(id));
                int used = taken.getOrDefault(id, 0);
                int len = Math.min(all.length - filled, plain.length - used);
                System.arraycopy(plain, used, all, filled, len);
                Arrays.fill(plain, (byte) 0);
                segments.add(new Segment(sequenceOf(id), used, len));
                filled += len;
                if (used + len == plain.length) {
                    finished.add(id);
                } else {
                    current = id;
                    currentUsed = used + len;
                }
            }
            UUID first = newFirstKeyId();
            List<CarvedKey> keys = new ArrayList<>(number);
            for (int n = 0; n < number; n++) {
                keys.add(new CarvedKey(keyId(first, n), Arrays.copyOfRange(all, n * sizeBytes, (n + 1) * sizeBytes)));
            }
            Arrays.fill(all, (byte) 0);
            batchId = recordFor == null ? null : serviceId + "/" + first;
            byte[] record = recordFor == null ? null : encodeBatch(recordFor, first, number);
            out = new CarvedBatch(batchId, new AssignedBatch(first, number, sizeBytes, List.copyOf(segments)),
                    List.copyOf(keys));
            String partial = current;
            int partialUsed = currentUsed;
            ticket = commits.apply(() -> {
                if (record != null) {
                    preparedBatches.put(batchId, record);
                }
                for (String f : finished) {
                    chunks.remove(f);
                    taken.put(f, Integer.MAX_VALUE);
                }
                if (partial != null) {
                    taken.put(partial, partialUsed);
                }
                advanceFloor(serviceId);
                unusedBytes.merge(serviceId, -carvedBytes, Long::sum);
            });
        }
        commits.awaitDurable(ticket);
        return out;
    }

    /**
     * At the source: the batch's keys may be handed out from now on, so it is no longer discardable
     * after a restart. The future completes once that is durable (on the store's sync thread: keep
     * dependent stages short); no key of the batch may leave before.
     */
    public CompletableFuture<Void> openBatch(String batchId) {
        return openBatches(List.of(batchId));
    }

    /** {@link #openBatch} for several batches in one commit: one sync opens them all. */
    public CompletableFuture<Void> openBatches(List<String> batchIds) {
        long ticket;
        try {
            synchronized (lock) {
                ticket = commits.apply(() -> batchIds.forEach(preparedBatches::remove));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
        return commits.whenDurable(ticket);
    }

    /** At the source: drops a batch's record once the destination discarded its keys; durable. */
    public void forgetBatch(String batchId) {
        durably(() -> preparedBatches.remove(batchId));
    }

    /** At the source: the batches carved and never opened, each with its destination and key ids. */
    public List<PreparedBatch> preparedBatches() {
        List<PreparedBatch> out = new ArrayList<>();
        synchronized (lock) {
            for (Map.Entry<String, byte[]> e : preparedBatches.entrySet()) {
                out.add(decodeBatch(e.getKey(), e.getValue()));
            }
        }
        return out;
    }

    /** Destination id (length-prefixed UTF-8), the first key id, the number of keys. */
    private static byte[] encodeBatch(String destinationQkdnId, UUID first, int count) {
        byte[] dest = destinationQkdnId.getBytes(StandardCharsets.UTF_8);
        return java.nio.ByteBuffer.allocate(2 + dest.length + 16 + 4).putShort((short) dest.length).put(dest)
                .putLong(first.getMostSignificantBits()).putLong(first.getLeastSignificantBits()).putInt(count).array();
    }

    private static PreparedBatch decodeBatch(String batchId, byte[] record) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(record);
        byte[] dest = new byte[b.getShort() & 0xffff];
        b.get(dest);
        UUID first = new UUID(b.getLong(), b.getLong());
        int count = b.getInt();
        List<UUID> ids = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            ids.add(keyId(first, i));
        }
        return new PreparedBatch(batchId, UUID.fromString(batchId.substring(0, batchId.indexOf('/'))),
                new String(dest, StandardCharsets.UTF_8), List.copyOf(ids));
    }

    /**
     * The first key id of a new batch: a version 7 UUID (RFC 9562), 48 bits of Unix time in
     * milliseconds, then 64 random bits and {@value #INDEX_BITS} zero bits, which number the batch's
     * keys. Ids of different batches are unguessable, as random ids are; the ids of one batch are
     * not, which gives nothing away: every key id of a batch belongs to one SAE pair, and the
     * destination hands each to that pair's slave SAE only, once. The time prefix keeps new batches
     * in the rightmost pages of the destination's maps.
     */
    private UUID newFirstKeyId() {
        long a = keyIdRandom.nextLong();
        long b = keyIdRandom.nextLong() & -(1L << INDEX_BITS);
        return Uuids.version7(System.currentTimeMillis(), a, b);
    }

    /** The service's stored chunks from the first, in order, until they hold {@code bytes} unused. */
    private List<String> firstChunks(UUID serviceId, long bytes) {
        List<String> out = new ArrayList<>();
        String prefix = serviceId + "/";
        long have = 0;
        for (var it = chunks.keyIterator(prefix); it.hasNext() && have < bytes; ) {
            String k = it.next();
            if (!k.startsWith(prefix)) {
                break;
            }
            out.add(k);
            have += chunks.get(k).length - AtRestCipher.OVERHEAD - taken.getOrDefault(k, 0);
        }
        return out;
    }

    /**
     * At the source: the relay of chunk {@code sequence} failed, so the source never keeps it and
     * the chunk floor may pass it. Not awaited: after a crash, {@link #issuedBeforeOpen} closes it.
     * Nothing for a removed service, a sequence never issued, or one with a record already.
     */
    public void abandonSequence(UUID serviceId, long sequence) {
        String id = chunkId(serviceId, sequence);
        synchronized (lock) {
            if (!definitions.contains(serviceId) || taken.containsKey(id) || sequence < floorOf(serviceId)
                    || sequence >= nextSequence.getOrDefault(serviceId.toString(), 1L)) {
                return;
            }
            commits.apply(() -> {
                taken.put(id, Integer.MAX_VALUE);
                advanceFloor(serviceId);
            });
        }
    }

    private long floorOf(UUID serviceId) {
        return chunkFloor.getOrDefault(serviceId.toString(), 1L);
    }

    /**
     * Raises the service's chunk floor over the sequences that will never be stored here again,
     * dropping their records: chunks used up, and holes that never fill. At the source a hole is a
     * relay that failed (recorded by {@link #abandonSequence}) or was cut by a restart; one still in
     * flight stops the floor. At the destination the relay delivers a service's sequences once each,
     * in increasing order (its sequence guard), so a hole below any sequence stored never fills.
     * Under lock, inside a mutation.
     */
    private void advanceFloor(UUID serviceId) {
        String key = serviceId.toString();
        String prefix = key + "/";
        boolean source = nextSequence.containsKey(key);
        long closedBelow = issuedBeforeOpen.getOrDefault(key, 1L);
        long start = floorOf(serviceId);
        long floor = start;
        while (true) {
            String id = chunkId(serviceId, floor);
            Integer used = taken.get(id);
            if (used != null) {
                if (used != Integer.MAX_VALUE) {
                    break;  // a chunk with key left
                }
                taken.remove(id);
                floor++;
                continue;
            }
            String above = taken.higherKey(id);
            long next = above != null && above.startsWith(prefix) ? sequenceOf(above) : Long.MAX_VALUE;
            if (source && floor < closedBelow) {
                floor = Math.min(closedBelow, next);
            } else if (!source && next != Long.MAX_VALUE) {
                floor = next;
            } else {
                break;
            }
        }
        if (floor != start) {
            chunkFloor.put(key, floor);
        }
    }

    /**
     * At the destination: takes the batch's segments and keeps its keys for the slave SAE, all or
     * nothing, durable (one commit) before it returns: one batch record, and the keys sealed in
     * pages of {@link #PAGE_KEYS}. A repeated assignment of a batch is a no-op while any of its
     * keys waits ({@code REPLAY} after, its bytes being used); another one under
     * the same first key id (or one of a discarded batch) is {@code CONFLICT}; a segment overlapping
     * bytes already assigned is {@code REPLAY}; a chunk that has not arrived is
     * {@code INSUFFICIENT_KEY}; a malformed batch is an {@link IllegalArgumentException} naming
     * the field.
     * Batches may come in any order. Each chunk is opened once.
     */
    public void assignBatch(UUID serviceId, AssignedBatch batch) {
        requireService(serviceId);
        checkShape(batch);
        BatchRecord record = new BatchRecord(serviceId, batch.count(), batch.keyBytes(), false, batch.segments());
        byte[] encoded = record.encode();
        long ticket;
        synchronized (lock) {
            byte[] earlier = keyBatches.get(batch.firstKeyId());
            if (earlier != null) {
                if (!Arrays.equals(earlier, encoded)) {
                    throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "key_ID " + batch.firstKeyId()
                            + " is already assigned to other key" + (BatchRecord.decode(earlier).barred()
                            ? " (its batch was discarded)" : ""));
                }
                return;
            }
            Map<String, BitSet> used = new LinkedHashMap<>();
            Map<String, Integer> lengths = new HashMap<>();
            byte[] all = gather(serviceId, batch, used, lengths);
            List<UUID> pageIds = new ArrayList<>();
            List<byte[]> pages = new ArrayList<>();
            try {
                for (int first = 0; first < batch.count(); first += PAGE_KEYS) {
                    UUID pageId = keyId(batch.firstKeyId(), first);
                    int n = Math.min(PAGE_KEYS, batch.count() - first);
                    pageIds.add(pageId);
                    pages.add(sealPage(pageId, 0, all, first * batch.keyBytes(), n * batch.keyBytes()));
                }
            } finally {
                Arrays.fill(all, (byte) 0);
            }
            long takenBytes = all.length;
            ticket = commits.apply(() -> {
                for (Map.Entry<String, BitSet> u : used.entrySet()) {
                    if (u.getValue().cardinality() == lengths.get(u.getKey())) {
                        chunks.remove(u.getKey());
                        assignedBytes.remove(u.getKey());
                        taken.put(u.getKey(), Integer.MAX_VALUE);
                    } else {
                        assignedBytes.put(u.getKey(), u.getValue().toByteArray());
                    }
                }
                advanceFloor(serviceId);
                keyBatches.put(batch.firstKeyId(), encoded);
                for (int i = 0; i < pageIds.size(); i++) {
                    keyPages.put(pageIds.get(i), pages.get(i));
                }
                unusedBytes.merge(serviceId, -takenBytes, Long::sum);
                waitingKeys.merge(serviceId, (long) batch.count(), Long::sum);
            });
        }
        commits.awaitDurable(ticket);
    }

    private static void checkShape(AssignedBatch b) {
        String wrong = null;
        long bytes = 0;
        for (Segment s : b.segments()) {
            if (s.sequence() < 1 || s.offsetBytes() < 0 || s.lengthBytes() < 1) {
                wrong = "segment " + s + ": sequence and length must be positive, offset not negative";
            }
            bytes += s.lengthBytes();
        }
        if (b.count() < 1 || b.count() > MAX_BATCH_KEYS) {
            wrong = "count: 1.." + MAX_BATCH_KEYS + " keys, got " + b.count();
        } else if (b.keyBytes() < 1 || b.keyBytes() > MAX_KEY_BYTES) {
            wrong = "key_bytes: 1.." + MAX_KEY_BYTES + ", got " + b.keyBytes();
        } else if (b.segments().size() > MAX_SEGMENTS) {
            wrong = "segments: at most " + MAX_SEGMENTS + ", got " + b.segments().size();
        } else if (indexOf(b.firstKeyId()) != 0) {
            wrong = "first_key_id: its last " + INDEX_BITS + " bits must be 0, got " + b.firstKeyId();
        } else if (wrong == null && bytes != (long) b.count() * b.keyBytes()) {
            wrong = "segments: " + bytes + " bytes for " + b.count() + " keys of " + b.keyBytes() + " bytes";
        }
        if (wrong != null) {
            throw new IllegalArgumentException(wrong);
        }
    }

    /**
     * The batch's bytes, its segments' one after the other, marking them in {@code used} (per chunk,
     * starting from what is stored) and each chunk's length in {@code lengths}. Opens each chunk
     * once; changes no map.
     */
    private byte[] gather(UUID serviceId, AssignedBatch batch, Map<String, BitSet> used, Map<String, Integer> lengths) {
        byte[] all = new byte[batch.count() * batch.keyBytes()];
        int filled = 0;
        for (Segment s : batch.segments()) {
            String id = chunkId(serviceId, s.sequence());
            byte[] sealed = chunks.get(id);
            if (sealed == null) {
                Arrays.fill(all, (byte) 0);
                boolean gone = taken.containsKey(id) || s.sequence() < floorOf(serviceId);
                throw new ServiceKeyException(gone ? ServiceKeyException.Reason.REPLAY
                        : ServiceKeyException.Reason.INSUFFICIENT_KEY, "chunk " + s.sequence() + " of service "
                        + serviceId + (gone ? " is used up" : " has not arrived"));
            }
            byte[] chunk = open(id, sealed);
            try {
                lengths.put(id, chunk.length);
                if (s.offsetBytes() + (long) s.lengthBytes() > chunk.length) {
                    Arrays.fill(all, (byte) 0);
                    throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "segment " + s
                            + " runs past its chunk of " + chunk.length + " bytes");
                }
                BitSet bits = used.computeIfAbsent(id, this::bitsOf);
                int clash = bits.nextSetBit(s.offsetBytes());
                if (clash >= 0 && clash < s.offsetBytes() + s.lengthBytes()) {
                    Arrays.fill(all, (byte) 0);
                    throw new ServiceKeyException(ServiceKeyException.Reason.REPLAY, "segment " + s
                            + " overlaps key already assigned from its chunk (byte " + clash + ")");
                }
                bits.set(s.offsetBytes(), s.offsetBytes() + s.lengthBytes());
                System.arraycopy(chunk, s.offsetBytes(), all, filled, s.lengthBytes());
                filled += s.lengthBytes();
            } finally {
                Arrays.fill(chunk, (byte) 0);
            }
        }
        return all;
    }

    private BitSet bitsOf(String chunkId) {
        byte[] b = assignedBytes.get(chunkId);
        return b == null ? new BitSet() : BitSet.valueOf(b);
    }

    private int assignedCount(String chunkId) {
        return bitsOf(chunkId).cardinality();
    }

    /** At the destination: the key of {@code keyId} assigned under service {@code serviceId}, once. */
    public byte[] takeAssigned(UUID serviceId, UUID keyId) {
        return take(keyId, serviceId::equals);
    }

    /**
     * At the destination: the key of {@code keyId} if it was assigned under any service (route),
     * installed or removed, of this SAE pair; once, erased as it is handed out. Which route carried
     * a key is the network's business: a slave SAE asks by pair and key id only.
     */
    public byte[] takeAssigned(UUID keyId, String masterSaeId, String slaveSaeId) {
        return take(keyId, id -> {
            KeyServiceDefinition d = definitions.get(id);
            if (d == null) {
                d = retiredCache.get(id);
            }
            return d != null && d.masterSaeId().equals(masterSaeId) && d.slaveSaeId().equals(slaveSaeId);
        });
    }

    private byte[] take(UUID keyId, java.util.function.Predicate<UUID> serviceAllowed) {
        byte[] key;
        long ticket;
        synchronized (lock) {
            byte[] stored = keyBatches.get(batchOf(keyId));
            BatchRecord b = stored == null ? null : BatchRecord.decode(stored);
            UUID pageId = pageOf(keyId);
            byte[] page = b == null || b.barred() || indexOf(keyId) >= b.count() || !serviceAllowed.test(b.serviceId())
                    ? null : keyPages.get(pageId);
            int bit = indexOf(keyId) % PAGE_KEYS;
            if (page == null || (takenBits(page) & (1 << bit)) != 0) {
                throw new ServiceKeyException(ServiceKeyException.Reason.UNKNOWN_KEY, "key_ID " + keyId
                        + ": unknown for this SAE pair, or already delivered");
            }
            byte[] plain = openPage(pageId, page);
            key = Arrays.copyOfRange(plain, bit * b.keyBytes(), (bit + 1) * b.keyBytes());
            byte[] rest = withoutKey(pageId, page, plain, bit, b);
            UUID batchId = batchOf(keyId);
            ticket = commits.apply(() -> {
                if (rest == null) {
                    keyPages.remove(pageId);
                    forgetIfEmpty(batchId, b);
                } else {
                    keyPages.put(pageId, rest);
                }
                keyTaken(b.serviceId(), 1);
            });
        }
        commits.awaitDurable(ticket);
        return key;
    }

    /**
     * The page with key {@code bit} erased and marked taken, sealed again, or {@code null} when that
     * was its last key; zeroes {@code plain}.
     */
    private byte[] withoutKey(UUID pageId, byte[] page, byte[] plain, int bit, BatchRecord b) {
        try {
            int takenBits = takenBits(page) | (1 << bit);
            if (Integer.bitCount(takenBits) == b.keysInPage(pageId)) {
                return null;
            }
            Arrays.fill(plain, bit * b.keyBytes(), (bit + 1) * b.keyBytes(), (byte) 0);
            return sealPage(pageId, takenBits, plain, 0, plain.length);
        } finally {
            Arrays.fill(plain, (byte) 0);
        }
    }

    /** Drops the record of a batch none of whose pages is left; under lock, inside a mutation. */
    private void forgetIfEmpty(UUID batchId, BatchRecord b) {
        for (int first = 0; first < b.count(); first += PAGE_KEYS) {
            if (keyPages.containsKey(keyId(batchId, first))) {
                return;
            }
        }
        keyBatches.remove(batchId);
    }

    /** {@code n} keys of {@code serviceId} were taken or erased; under lock, inside a mutation. */
    private void keyTaken(UUID serviceId, int n) {
        long left = waitingKeys.merge(serviceId, (long) -n, Long::sum);
        if (left <= 0 && retired.remove(serviceId.toString()) != null) {
            forgetRetired(serviceId);
        }
    }

    /** The last key of a removed service was taken: nothing of it is kept. Under lock. */
    private void forgetRetired(UUID serviceId) {
        waitingKeys.remove(serviceId);
        for (Map.Entry<UUID, byte[]> e : new ArrayList<>(keyBatches.entrySet())) {
            if (BatchRecord.decode(e.getValue()).serviceId().equals(serviceId)) {
                keyBatches.remove(e.getKey());
            }
        }
        refreshRetiredCache();
    }

    /**
     * The service is removed: forgets the records of its batches whose keys were all taken, and
     * returns how many of its keys still wait. Under lock, inside a mutation.
     */
    private long forgetTakenBatches(UUID serviceId) {
        long waiting = 0;
        for (Map.Entry<UUID, byte[]> e : new ArrayList<>(keyBatches.entrySet())) {
            BatchRecord b = BatchRecord.decode(e.getValue());
            if (!b.serviceId().equals(serviceId)) {
                continue;
            }
            long left = 0;
            for (int first = 0; !b.barred() && first < b.count(); first += PAGE_KEYS) {
                UUID pageId = keyId(e.getKey(), first);
                byte[] page = keyPages.get(pageId);
                if (page != null) {
                    left += b.keysInPage(pageId) - Integer.bitCount(takenBits(page));
                }
            }
            if (left == 0) {
                keyBatches.remove(e.getKey());
            }
            waiting += left;
        }
        return waiting;
    }

    /**
     * At the destination: erases the keys of {@code keyIds} assigned under {@code serviceId} that
     * still wait for the slave SAE, and bars every one of these ids from a later assignment (an
     * assignment still on its way from the source's previous run must not bring one back): a batch
     * never assigned here is recorded as discarded; an assigned one's bytes are already marked
     * used, so a repeat is refused. Ids of another service are left alone. Durable before it returns; repeating it is
     * a no-op.
     *
     * @return the number of keys erased
     */
    public int discardAssigned(UUID serviceId, List<UUID> keyIds) {
        int[] erased = new int[1];
        long ticket;
        synchronized (lock) {
            Map<UUID, byte[]> pages = new HashMap<>();
            Map<UUID, BatchRecord> batches = new HashMap<>();
            List<UUID> barred = new ArrayList<>();
            for (UUID keyId : keyIds) {
                UUID batchId = batchOf(keyId);
                BatchRecord b = batches.get(batchId);
                if (b == null) {
                    byte[] stored = keyBatches.get(batchId);
                    if (stored == null) {
                        if (!barred.contains(batchId)) {
                            barred.add(batchId);
                        }
                        continue;
                    }
                    b = BatchRecord.decode(stored);
                    batches.put(batchId, b);
                }
                if (!b.serviceId().equals(serviceId) || b.barred() || indexOf(keyId) >= b.count()) {
                    continue;
                }
                UUID pageId = pageOf(keyId);
                byte[] page = pages.containsKey(pageId) ? pages.get(pageId) : keyPages.get(pageId);
                int bit = indexOf(keyId) % PAGE_KEYS;
                if (page == null || (takenBits(page) & (1 << bit)) != 0) {
                    continue;
                }
                pages.put(pageId, withoutKey(pageId, page, openPage(pageId, page), bit, b));
                erased[0]++;
            }
            byte[] discarded = new BatchRecord(serviceId, 0, 0, true, List.of()).encode();
            ticket = commits.apply(() -> {
                barred.forEach(id -> keyBatches.put(id, discarded));
                pages.forEach((id, page) -> {
                    if (page == null) {
                        keyPages.remove(id);
                    } else {
                        keyPages.put(id, page);
                    }
                });
                batches.forEach((id, b) -> {
                    if (!b.barred() && b.serviceId().equals(serviceId)) {
                        forgetIfEmpty(id, b);
                    }
                });
                if (erased[0] > 0) {
                    keyTaken(serviceId, erased[0]);
                }
            });
        }
        commits.awaitDurable(ticket);
        return erased[0];
    }

    /** The service, installed or removed with keys still waiting for its slave SAE. Lock-free. */
    public Optional<KeyServiceDefinition> serviceOrRetired(UUID serviceId) {
        KeyServiceDefinition d = definitions.get(serviceId);
        return Optional.ofNullable(d != null ? d : retiredCache.get(serviceId));
    }

    /** Keys waiting for the slave SAE of a service. Lock-free; may lag an operation in progress. */
    public long assignedKeyCount(UUID serviceId) {
        return waitingKeys.getOrDefault(serviceId, 0L);
    }

    /**
     * Keys assigned at this node and not yet taken by the slave SAE of this pair, over every route
     * of the pair: those installed now (a 1+1 pair has two, a make-before-break moment two) and
     * removed ones whose keys still wait. What ETSI 014 status reports at the slave's KME. Lock-free.
     */
    public long assignedKeyCount(String masterSaeId, String slaveSaeId) {
        long n = 0;
        for (KeyServiceDefinition d : services()) {
            if (d.masterSaeId().equals(masterSaeId) && d.slaveSaeId().equals(slaveSaeId)) {
                n += assignedKeyCount(d.serviceId());
            }
        }
        for (KeyServiceDefinition d : retiredCache.values()) {
            if (d.masterSaeId().equals(masterSaeId) && d.slaveSaeId().equals(slaveSaeId)) {
                n += assignedKeyCount(d.serviceId());
            }
        }
        return n;
    }

    /** Records the store holds for chunks and keys, over every service: what must stay bounded. */
    long keyRecordCount() {
        synchronized (lock) {
            return chunks.sizeAsLong() + taken.sizeAsLong() + assignedBytes.sizeAsLong() + keyBatches.sizeAsLong()
                    + keyPages.sizeAsLong() + preparedBatches.sizeAsLong() + chunkFloor.sizeAsLong();
        }
    }

    /** Syncs done since open: fewer than mutating calls when calls share them. */
    public long syncCount() {
        return commits.syncs();
    }

    @Override
    public void close() {
        commits.closeStore();
    }

    // --- helpers -----------------------------------------------------------------------------

    private void durably(Runnable mutation) {
        long ticket;
        synchronized (lock) {
            ticket = commits.apply(mutation);
        }
        commits.awaitDurable(ticket);
    }

    private void requireService(UUID serviceId) {
        if (!definitions.contains(serviceId)) {
            throw new ServiceKeyException(ServiceKeyException.Reason.UNKNOWN_SERVICE, "no key service " + serviceId);
        }
    }

    private byte[] open(String id, byte[] sealed) {
        try {
            return cipher.open(aad(id), sealed, 0, sealed.length);
        } catch (AEADBadTagException e) {
            throw new ServiceKeyException(ServiceKeyException.Reason.CORRUPT, "stored key " + id
                    + " failed authentication: the store file was altered or damaged");
        }
    }

    private static byte[] aad(String id) {
        return ("qkdnf-service-key-v1/" + id).getBytes(StandardCharsets.US_ASCII);
    }

    /** Zero-padded so that the map's string order is sequence order. */
    static String chunkId(UUID serviceId, long sequence) {
        String digits = Long.toString(sequence);
        StringBuilder b = new StringBuilder(57).append(serviceId).append('/');
        for (int i = digits.length(); i < 20; i++) {
            b.append('0');
        }
        return b.append(digits).toString();
    }

    private static int indexOf(UUID keyId) {
        return (int) keyId.getLeastSignificantBits() & (MAX_BATCH_KEYS - 1);
    }

    /** The first key id of the key's batch. */
    private static UUID batchOf(UUID keyId) {
        return new UUID(keyId.getMostSignificantBits(), keyId.getLeastSignificantBits() & -(long) MAX_BATCH_KEYS);
    }

    /** The first key id of the key's page. */
    private static UUID pageOf(UUID keyId) {
        return new UUID(keyId.getMostSignificantBits(), keyId.getLeastSignificantBits() & -(long) PAGE_KEYS);
    }

    private static int takenBits(byte[] page) {
        return (page[0] & 0xff) << 24 | (page[1] & 0xff) << 16 | (page[2] & 0xff) << 8 | (page[3] & 0xff);
    }

    /** A page record: the bits of the keys taken, then {@code len} bytes of keys sealed, both bound to the page id. */
    private byte[] sealPage(UUID pageId, int takenBits, byte[] keys, int off, int len) {
        byte[] page = new byte[4 + AtRestCipher.OVERHEAD + len];
        page[0] = (byte) (takenBits >>> 24);
        page[1] = (byte) (takenBits >>> 16);
        page[2] = (byte) (takenBits >>> 8);
        page[3] = (byte) takenBits;
        cipher.sealInto(pageAad(pageId, takenBits), keys, off, len, page, 4);
        return page;
    }

    private byte[] openPage(UUID pageId, byte[] page) {
        try {
            return cipher.open(pageAad(pageId, takenBits(page)), page, 4, page.length - 4);
        } catch (AEADBadTagException e) {
            throw new ServiceKeyException(ServiceKeyException.Reason.CORRUPT, "stored keys of page " + pageId
                    + " failed authentication: the store file was altered or damaged");
        }
    }

    private static final byte[] PAGE_AAD = "qkdnf-service-key-page-v1/".getBytes(StandardCharsets.US_ASCII);

    private static byte[] pageAad(UUID pageId, int takenBits) {
        return java.nio.ByteBuffer.allocate(PAGE_AAD.length + 20).put(PAGE_AAD).putLong(pageId.getMostSignificantBits())
                .putLong(pageId.getLeastSignificantBits()).putInt(takenBits).array();
    }

    /**
     * What the destination keeps of an assigned batch: its service, size and segments (to check a
     * key's pair and recognise a repeated assignment), or that it was discarded ({@code barred}).
     */
    private record BatchRecord(UUID serviceId, int count, int keyBytes, boolean barred, List<Segment> segments) {

        /** Keys of the batch in the page that starts at {@code pageId}. */
        int keysInPage(UUID pageId) {
            return Math.min(PAGE_KEYS, count - indexOf(pageId));
        }

        byte[] encode() {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(16 + 4 + 4 + 1 + 2 + 16 * segments.size());
            b.putLong(serviceId.getMostSignificantBits()).putLong(serviceId.getLeastSignificantBits()).putInt(count)
                    .putInt(keyBytes).put((byte) (barred ? 1 : 0)).putShort((short) segments.size());
            for (Segment s : segments) {
                b.putLong(s.sequence()).putInt(s.offsetBytes()).putInt(s.lengthBytes());
            }
            return b.array();
        }

        static BatchRecord decode(byte[] record) {
            java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(record);
            UUID service = new UUID(b.getLong(), b.getLong());
            int count = b.getInt();
            int keyBytes = b.getInt();
            boolean barred = b.get() != 0;
            List<Segment> segments = new ArrayList<>(b.getShort() & 0xffff);
            while (b.hasRemaining()) {
                segments.add(new Segment(b.getLong(), b.getInt(), b.getInt()));
            }
            return new BatchRecord(service, count, keyBytes, barred, segments);
        }
    }

    private static UUID serviceOf(String chunkId) {
        return UUID.fromString(chunkId.substring(0, chunkId.indexOf('/')));
    }

    private static long sequenceOf(String chunkId) {
        return Long.parseLong(chunkId.substring(chunkId.indexOf('/') + 1));
    }

    private static List<String> keysWithPrefix(MVMap<String, ?> map, String prefix) {
        List<String> out = new ArrayList<>();
        for (var it = map.keyIterator(prefix); it.hasNext(); ) {
            String k = it.next();
            if (!k.startsWith(prefix)) {
                break;
            }
            out.add(k);
        }
        return out;
    }

    private static String encode(KeyServiceDefinition d) {
        return ServiceDefinitions.toText(d);
    }

    private static KeyServiceDefinition decode(UUID id, String s) {
        return ServiceDefinitions.fromText(id, s);
    }
}

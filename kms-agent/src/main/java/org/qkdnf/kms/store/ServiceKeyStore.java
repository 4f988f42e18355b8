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
 * ({@link #carve}), the watermark durable before any key leaves, and tells the destination which
 * chunk segments make each key id; the destination takes exactly those segments ({@link #assign}),
 * in whatever order the assignments arrive but never a byte twice (each chunk keeps a bit per byte
 * assigned), and keeps the key until the slave SAE asks for it once ({@link #takeAssigned}).
 * The source carves and assigns whole batches of keys ahead of demand ({@link #carve},
 * {@link #assignAll}: one durable commit at each end per batch).
 * Bytes of a chunk that no assignment ever names (key the source carved but could not assign)
 * stay sealed until the service is removed. Key material is erased as soon as
 * it is handed out.
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

    /** One key id and the chunk segments that make its key, as the source assigns it. */
    public record Assignment(UUID keyId, List<Segment> segments) {
    }

    /** A key carved at the source: its id, where it came from, and the key. */
    public record CarvedKey(UUID keyId, List<Segment> segments, byte[] key) {
        @Override
        public String toString() {
            return "CarvedKey[" + keyId + ", " + key.length * 8 + " bits]";
        }

        public Assignment assignment() {
            return new Assignment(keyId, segments);
        }
    }

    /**
     * A batch the source carved for its ready run ({@link #carveBatch}): its keys may be assigned at
     * the destination, but none has been handed out until the batch is opened ({@link #openBatch}).
     */
    public record CarvedBatch(String batchId, List<CarvedKey> keys) {
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
     * {@link Integer#MAX_VALUE} once a chunk is used up and erased, at either end.
     */
    private final MVMap<String, Integer> taken;
    /**
     * "svc/seq" -> the chunk's bytes already assigned to key ids, at the destination, as a bit set
     * (one bit per byte): assignments may arrive in any order, each byte is taken at most once.
     */
    private final MVMap<String, byte[]> assignedBytes;
    /** keyId -> sealed key, waiting for the slave SAE. */
    private final MVMap<String, byte[]> assigned;
    /** keyId -> "svc|segments", to recognise a repeated assignment. */
    private final MVMap<String, String> assignedMeta;
    /**
     * serviceId -> definition of a removed service (route) whose assigned keys still wait for the
     * slave SAE: a route replaced by the controller (reroute, 1+1 switch) must not take with it key
     * ids the master SAE already holds. Dropped with the last of its keys.
     */
    private final MVMap<String, String> retired;
    /** serviceId -> the next relay sequence number the source may use (attempts included). */
    private final MVMap<String, Long> nextSequence;
    /**
     * At the source: "svc/first key id" -> destination and key ids of a batch carved for the ready
     * run and not opened yet (see {@link PreparedBatch}); removed when it is opened or discarded.
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
        this.assigned = mv.openMap("assigned");
        this.assignedMeta = mv.openMap("assignedMeta");
        this.retired = mv.openMap("retired");
        this.nextSequence = mv.openMap("nextSequence");
        this.assignedBytes = mv.openMap("assignedBytes");
        this.preparedBatches = mv.openMap("preparedBatches");
        for (Map.Entry<String, byte[]> e : chunks.entrySet()) {
            int length = e.getValue().length - AtRestCipher.OVERHEAD;
            int used = Math.max(taken.getOrDefault(e.getKey(), 0), assignedCount(e.getKey()));
            unusedBytes.merge(serviceOf(e.getKey()), (long) (length - used), Long::sum);
        }
        for (Map.Entry<String, String> e : assignedMeta.entrySet()) {
            if (assigned.containsKey(e.getKey())) {
                waitingKeys.merge(UUID.fromString(e.getValue().substring(0, e.getValue().indexOf('|'))), 1L, Long::sum);
            }
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
            for (String k : keysWithPrefix(taken, prefix)) {
                chunks.remove(k);
                taken.remove(k);
                assignedBytes.remove(k);
            }
            unusedBytes.remove(serviceId);
            long waiting = 0;
            for (Map.Entry<String, String> e : new ArrayList<>(assignedMeta.entrySet())) {
                if (e.getValue().startsWith(serviceId + "|")) {
                    if (assigned.containsKey(e.getKey())) {
                        waiting++;
                    } else {
                        assignedMeta.remove(e.getKey());
                    }
                }
            }
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
     * same sequence number is refused ({@code CONFLICT}).
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
            if (taken.containsKey(id)) {
                return; // stored, then fully used and erased: a late duplicate
            }
        }
        byte[] sealed = cipher.seal(aad(id), key, 0, key.length);
        durably(() -> {
            if (!chunks.containsKey(id) && !taken.containsKey(id)) {
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
     * At the source: carves {@code number} keys of {@code sizeBytes} from the service's chunks in
     * sequence order, each under a fresh key id. Durable before it returns; nothing is carved when
     * there is not enough key ({@code INSUFFICIENT_KEY}).
     */
    public List<CarvedKey> carve(UUID serviceId, int number, int sizeBytes) {
        return carve(serviceId, number, sizeBytes, null).keys();
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
        String[] batchId = new String[1];
        List<CarvedKey> out = new ArrayList<>(number);
        long ticket;
        synchronized (lock) {
            long available = unusedBytes.getOrDefault(serviceId, 0L);
            if (available < (long) number * sizeBytes) {
                throw new ServiceKeyException(ServiceKeyException.Reason.INSUFFICIENT_KEY, "service " + serviceId
                        + " holds " + available * 8 + " bits of relayed key, " + (long) number * sizeBytes * 8
                        + " asked");
            }
            // Only the chunks this request needs, in sequence order.
            List<String> ids = firstChunks(serviceId, (long) number * sizeBytes);
            long now = System.currentTimeMillis();
            byte[] random = new byte[number * 10];  // one call for the batch: per key it dominated carving
            keyIdRandom.nextBytes(random);
            long[] sequences = ids.stream().mapToLong(ServiceKeyStore::sequenceOf).toArray();
            int chunkIndex = 0;
            byte[] plain = ids.isEmpty() ? null : open(ids.get(0), chunks.get(ids.get(0)));
            int used = ids.isEmpty() ? 0 : taken.getOrDefault(ids.get(0), 0);
            List<String> finished = new ArrayList<>();
            for (int n = 0; n < number; n++) {
                byte[] key = new byte[sizeBytes];
                List<Segment> segments = new ArrayList<>(2);
                int filled = 0;
                while (filled < sizeBytes) {
                    if (used == plain.length) {
                        finished.add(ids.get(chunkIndex));
                        Arrays.fill(plain, (byte) 0);
                        chunkIndex++;
                        plain = open(ids.get(chunkIndex), chunks.get(ids.get(chunkIndex)));
                        used = taken.getOrDefault(ids.get(chunkIndex), 0);
                        continue;
                    }
                    int len = Math.min(sizeBytes - filled, plain.length - used);
                    System.arraycopy(plain, used, key, filled, len);
                    segments.add(new Segment(sequences[chunkIndex], used, len));
                    used += len;
                    filled += len;
                }
                out.add(new CarvedKey(newKeyId(now, random, n * 10), List.copyOf(segments), key));
            }
            if (used == plain.length) {
                finished.add(ids.get(chunkIndex));
            }
            Arrays.fill(plain, (byte) 0);
            String current = chunkIndex < ids.size() ? ids.get(chunkIndex) : null;
            int currentUsed = used;
            long carvedBytes = (long) number * sizeBytes;
            byte[] record = recordFor == null || out.isEmpty() ? null : encodeBatch(recordFor, out);
            batchId[0] = record == null ? null : serviceId + "/" + out.get(0).keyId();
            ticket = commits.apply(() -> {
                if (record != null) {
                    preparedBatches.put(batchId[0], record);
                }
                for (String f : finished) {
                    chunks.remove(f);
                    taken.put(f, Integer.MAX_VALUE);
                }
                if (current != null && !finished.contains(current)) {
                    taken.put(current, currentUsed);
                }
                unusedBytes.merge(serviceId, -carvedBytes, Long::sum);
            });
        }
        commits.awaitDurable(ticket);
        return new CarvedBatch(batchId[0], out);
    }

    /**
     * At the source: the batch's keys may be handed out from now on, so it is no longer discardable
     * after a restart. The future completes once that is durable (on the store's sync thread: keep
     * dependent stages short); no key of the batch may leave before.
     */
    public CompletableFuture<Void> openBatch(String batchId) {
        long ticket;
        try {
            synchronized (lock) {
                ticket = commits.apply(() -> preparedBatches.remove(batchId));
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

    /** Destination id (length-prefixed UTF-8), then the key ids, 16 bytes each. */
    private static byte[] encodeBatch(String destinationQkdnId, List<CarvedKey> keys) {
        byte[] dest = destinationQkdnId.getBytes(StandardCharsets.UTF_8);
        java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(2 + dest.length + 16 * keys.size());
        b.putShort((short) dest.length).put(dest);
        for (CarvedKey k : keys) {
            b.putLong(k.keyId().getMostSignificantBits()).putLong(k.keyId().getLeastSignificantBits());
        }
        return b.array();
    }

    private static PreparedBatch decodeBatch(String batchId, byte[] record) {
        java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(record);
        byte[] dest = new byte[b.getShort() & 0xffff];
        b.get(dest);
        List<UUID> ids = new ArrayList<>(b.remaining() / 16);
        while (b.remaining() >= 16) {
            ids.add(new UUID(b.getLong(), b.getLong()));
        }
        return new PreparedBatch(batchId, UUID.fromString(batchId.substring(0, batchId.indexOf('/'))),
                new String(dest, StandardCharsets.UTF_8), List.copyOf(ids));
    }

    /**
     * A fresh key id: a version 7 UUID (RFC 9562), 48 bits of Unix time in milliseconds, then 74
     * random bits. The random bits make ids unguessable, as random (version 4) ids are, so the
     * destination can hand a key only to the slave SAE told its id; the time prefix makes the ids
     * of a batch neighbours in the destination's maps, so storing a batch dirties a few B-tree pages
     * instead of one page per key.
     */
    private static UUID newKeyId(long millis, byte[] random, int at) {
        long r = 0;
        for (int i = 0; i < 8; i++) {
            r = (r << 8) | (random[at + i] & 0xffL);
        }
        int r12 = ((random[at + 8] & 0x0f) << 8) | (random[at + 9] & 0xff);
        return Uuids.version7(millis, r12, r);
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

    /** At the destination: {@link #assignAll} for one key. */
    public void assign(UUID serviceId, UUID keyId, List<Segment> segments) {
        assignAll(serviceId, List.of(new Assignment(keyId, segments)));
    }

    /**
     * At the destination: takes the named segments for each key id and keeps the keys for the
     * slave SAE, all or nothing, durable (one commit) before it returns. A repeated assignment of
     * a key id with the same segments is a no-op; the same key id with other segments is
     * {@code CONFLICT}; a segment overlapping bytes already assigned, before or in this batch, is
     * {@code REPLAY}; a chunk that has not arrived is {@code INSUFFICIENT_KEY}. Assignments may come
     * in any order. Each chunk is opened once per batch.
     */
    public void assignAll(UUID serviceId, List<Assignment> batch) {
        requireService(serviceId);
        long ticket;
        synchronized (lock) {
            Map<String, BitSet> used = new LinkedHashMap<>();
            Map<String, byte[]> plain = new HashMap<>();
            // Per batch, not per key: a batch of 1,024 keys names a handful of chunks.
            Map<Long, String> chunkIds = new HashMap<>();
            String servicePrefix = serviceId + "|";
            List<String> newIds = new ArrayList<>(batch.size());
            List<String> newMeta = new ArrayList<>(batch.size());
            List<byte[]> sealedKeys = new ArrayList<>(batch.size());
            long takenBytes = 0;
            try {
                java.util.Set<String> inBatch = new java.util.HashSet<>();
                for (Assignment a : batch) {
                    String keyId = a.keyId().toString();
                    String meta = meta(servicePrefix, a.segments());
                    String earlier = assignedMeta.get(keyId);
                    if (earlier != null) {
                        if (!earlier.equals(meta)) {
                            throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "key_ID " + keyId
                                    + " is already assigned to other key");
                        }
                        continue;
                    }
                    if (!inBatch.add(keyId)) {
                        throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "key_ID " + keyId
                                + " appears twice in one assignment batch");
                    }
                    byte[] key = gather(serviceId, a.segments(), used, plain, chunkIds);
                    sealedKeys.add(cipher.seal(aad(keyId), key, 0, key.length));
                    takenBytes += key.length;
                    Arrays.fill(key, (byte) 0);
                    newIds.add(keyId);
                    newMeta.add(meta);
                }
            } finally {
                plain.values().forEach(p -> Arrays.fill(p, (byte) 0));
            }
            if (newIds.isEmpty()) {
                return;
            }
            Map<String, Integer> lengths = new HashMap<>();
            plain.forEach((id, p) -> lengths.put(id, p.length));
            long takenTotal = takenBytes;
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
                for (int i = 0; i < newIds.size(); i++) {
                    assigned.put(newIds.get(i), sealedKeys.get(i));
                    assignedMeta.put(newIds.get(i), newMeta.get(i));
                }
                unusedBytes.merge(serviceId, -takenTotal, Long::sum);
                waitingKeys.merge(serviceId, (long) newIds.size(), Long::sum);
            });
        }
        commits.awaitDurable(ticket);
    }

    /**
     * The key made of {@code segments}, marking their bytes in {@code used} (per chunk, starting
     * from what is stored) and opening each chunk once into {@code plain}. Changes no map.
     */
    private byte[] gather(UUID serviceId, List<Segment> segments, Map<String, BitSet> used,
                          Map<String, byte[]> plain, Map<Long, String> chunkIds) {
        int size = 0;
        for (Segment s : segments) {
            size += s.lengthBytes();
        }
        byte[] key = new byte[size];
        int filled = 0;
        for (Segment s : segments) {
            String id = chunkIds.computeIfAbsent(s.sequence(), q -> chunkId(serviceId, q));
            byte[] chunk = plain.get(id);
            if (chunk == null) {
                byte[] sealed = chunks.get(id);
                if (sealed == null) {
                    Arrays.fill(key, (byte) 0);
                    boolean gone = taken.containsKey(id);
                    throw new ServiceKeyException(gone ? ServiceKeyException.Reason.REPLAY
                            : ServiceKeyException.Reason.INSUFFICIENT_KEY, "chunk " + s.sequence() + " of service "
                            + serviceId + (gone ? " is used up" : " has not arrived"));
                }
                chunk = open(id, sealed);
                plain.put(id, chunk);
            }
            if (s.offsetBytes() < 0 || s.offsetBytes() + s.lengthBytes() > chunk.length) {
                Arrays.fill(key, (byte) 0);
                throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "segment " + s
                        + " runs past its chunk of " + chunk.length + " bytes");
            }
            BitSet bits = used.computeIfAbsent(id, this::bitsOf);
            int clash = bits.nextSetBit(s.offsetBytes());
            if (clash >= 0 && clash < s.offsetBytes() + s.lengthBytes()) {
                Arrays.fill(key, (byte) 0);
                throw new ServiceKeyException(ServiceKeyException.Reason.REPLAY, "segment " + s
                        + " overlaps key already assigned from its chunk (byte " + clash + ")");
            }
            bits.set(s.offsetBytes(), s.offsetBytes() + s.lengthBytes());
            System.arraycopy(chunk, s.offsetBytes(), key, filled, s.lengthBytes());
            filled += s.lengthBytes();
        }
        return key;
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
            String meta = assignedMeta.get(keyId.toString());
            byte[] sealed = assigned.get(keyId.toString());
            UUID serviceId = meta == null ? null : UUID.fromString(meta.substring(0, meta.indexOf('|')));
            if (sealed == null || serviceId == null || !serviceAllowed.test(serviceId)) {
                throw new ServiceKeyException(ServiceKeyException.Reason.UNKNOWN_KEY, "key_ID " + keyId
                        + ": unknown for this SAE pair, or already delivered");
            }
            key = open(keyId.toString(), sealed);
            ticket = commits.apply(() -> {
                assigned.remove(keyId.toString());
                // The meta stays (without key) so a repeated assignment is still recognised.
                long left = waitingKeys.merge(serviceId, -1L, Long::sum);
                if (left <= 0 && retired.remove(serviceId.toString()) != null) {
                    forgetRetired(serviceId);
                }
            });
        }
        commits.awaitDurable(ticket);
        return key;
    }

    /** The last key of a removed service was taken: nothing of it is kept. Under lock. */
    private void forgetRetired(UUID serviceId) {
        waitingKeys.remove(serviceId);
        for (Map.Entry<String, String> e : new ArrayList<>(assignedMeta.entrySet())) {
            if (e.getValue().startsWith(serviceId + "|")) {
                assignedMeta.remove(e.getKey());
            }
        }
        refreshRetiredCache();
    }

    /**
     * At the destination: erases the keys of {@code keyIds} assigned under {@code serviceId} that
     * still wait for the slave SAE, and bars every one of these ids from a later assignment (an
     * assignment still on its way from the source's previous run must not bring one back). Ids of
     * another service are left alone. Durable before it returns; repeating it is a no-op.
     *
     * @return the number of keys erased
     */
    public int discardAssigned(UUID serviceId, List<UUID> keyIds) {
        String barred = serviceId + "|discarded";
        int[] erased = new int[1];
        durably(() -> {
            for (UUID keyId : keyIds) {
                String id = keyId.toString();
                String meta = assignedMeta.get(id);
                if (meta == null) {
                    assignedMeta.put(id, barred);
                } else if (meta.startsWith(serviceId + "|") && assigned.remove(id) != null) {
                    erased[0]++;
                    assignedMeta.put(id, barred);
                }
            }
            if (erased[0] > 0) {
                long left = waitingKeys.merge(serviceId, (long) -erased[0], Long::sum);
                if (left <= 0 && retired.remove(serviceId.toString()) != null) {
                    forgetRetired(serviceId);
                }
            }
        });
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

    /** Syncs done since open: fewer than mutating calls when calls share them. */
    long syncCount() {
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

    /** "service|sequence:offset:length,...": what a key id was assigned, to recognise a repeat. */
    private static String meta(String servicePrefix, List<Segment> segments) {
        StringBuilder b = new StringBuilder(64).append(servicePrefix);
        for (int i = 0; i < segments.size(); i++) {
            Segment s = segments.get(i);
            b.append(i == 0 ? "" : ",").append(s.sequence()).append(':').append(s.offsetBytes()).append(':')
                    .append(s.lengthBytes());
        }
        return b.toString();
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

package org.qkdnf.kms.store;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;

import javax.crypto.AEADBadTagException;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.qkdnf.kms.api.KeyServiceDefinition;

/**
 * The key of key services, durable and sealed (AES-256-GCM under the node's store key, like the
 * pools): relayed chunks, the source's carving watermark, and the keys assigned to key ids that
 * wait for the slave SAE.
 *
 * <p>A service's key is a sequence of chunks, each relayed end to end under a sequence number.
 * Both ends keep the chunks the relay delivered. The source carves keys out of them in order
 * ({@link #carve}), the watermark durable before any key leaves, and tells the destination which
 * chunk segments make each key id; the destination takes exactly those segments ({@link #assign})
 * — never a segment behind what it already took, so no bit is handed out twice — and keeps the key
 * until the slave SAE asks for it once ({@link #takeAssigned}). Key material is erased as soon as
 * it is handed out.
 *
 * <p>Thread-safe: operations are serialised on one lock; durability is awaited outside it, so
 * concurrent operations share a sync (group commit).
 */
public final class ServiceKeyStore implements AutoCloseable {

    /** One piece of a key: {@code lengthBytes} from {@code offsetBytes} of chunk {@code sequence}. */
    public record Segment(long sequence, int offsetBytes, int lengthBytes) {
    }

    /** A key carved at the source: its id, where it came from, and the key. */
    public record CarvedKey(UUID keyId, List<Segment> segments, byte[] key) {
        @Override
        public String toString() {
            return "CarvedKey[" + keyId + ", " + key.length * 8 + " bits]";
        }
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
    private final MVMap<String, String> services;
    /** "svc/seq" -> sealed chunk. */
    private final MVMap<String, byte[]> chunks;
    /** "svc/seq" -> bytes of the chunk already taken (destination) or carved (source). */
    private final MVMap<String, Integer> taken;
    /** keyId -> sealed key, waiting for the slave SAE. */
    private final MVMap<String, byte[]> assigned;
    /** keyId -> "svc|segments", to recognise a repeated assignment. */
    private final MVMap<String, String> assignedMeta;
    /** serviceId -> the next relay sequence number the source may use (attempts included). */
    private final MVMap<String, Long> nextSequence;
    private final Object lock = new Object();

    private ServiceKeyStore(SealedStoreFile.Opened opened) {
        this.mv = opened.mv();
        this.cipher = opened.cipher();
        this.commits = new GroupCommit(mv);
        this.services = mv.openMap("services");
        this.chunks = mv.openMap("chunks");
        this.taken = mv.openMap("taken");
        this.assigned = mv.openMap("assigned");
        this.assignedMeta = mv.openMap("assignedMeta");
        this.nextSequence = mv.openMap("nextSequence");
    }

    /** Opens (creating if absent) the store file, sealed under the key in {@code keyFile}. */
    public static ServiceKeyStore open(Path file, Path keyFile) throws IOException {
        return new ServiceKeyStore(SealedStoreFile.open(file, StoreKeyFile.read(keyFile), "service key store"));
    }

    // --- services ----------------------------------------------------------------------------

    public void putService(KeyServiceDefinition d) {
        durably(() -> services.put(d.serviceId().toString(), encode(d)));
    }

    public Optional<KeyServiceDefinition> service(UUID serviceId) {
        String s = services.get(serviceId.toString());
        return s == null ? Optional.empty() : Optional.of(decode(serviceId, s));
    }

    public List<KeyServiceDefinition> services() {
        List<KeyServiceDefinition> out = new ArrayList<>();
        for (Map.Entry<String, String> e : services.entrySet()) {
            out.add(decode(UUID.fromString(e.getKey()), e.getValue()));
        }
        return out;
    }

    /** Removes a service and erases all its key. */
    public boolean removeService(UUID serviceId) {
        String prefix = serviceId + "/";
        boolean[] existed = new boolean[1];
        durably(() -> {
            existed[0] = services.remove(serviceId.toString()) != null;
            nextSequence.remove(serviceId.toString());
            for (String k : keysWithPrefix(chunks, prefix)) {
                chunks.remove(k);
                taken.remove(k);
            }
            for (Map.Entry<String, String> e : new ArrayList<>(assignedMeta.entrySet())) {
                if (e.getValue().startsWith(serviceId + "|")) {
                    assigned.remove(e.getKey());
                    assignedMeta.remove(e.getKey());
                }
            }
        });
        return existed[0];
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
            chunks.put(id, sealed);
            taken.put(id, 0);
        });
    }

    /** Unused key of a service's chunks, bits. */
    public long availableBits(UUID serviceId) {
        long bytes = 0;
        synchronized (lock) {
            for (String k : keysWithPrefix(chunks, serviceId + "/")) {
                bytes += chunks.get(k).length - AtRestCipher.OVERHEAD - taken.getOrDefault(k, 0);
            }
        }
        return bytes * 8;
    }

    /**
     * At the source: carves {@code number} keys of {@code sizeBytes} from the service's chunks in
     * sequence order, each under a fresh key id. Durable before it returns; nothing is carved when
     * there is not enough key ({@code INSUFFICIENT_KEY}).
     */
    public List<CarvedKey> carve(UUID serviceId, int number, int sizeBytes) {
        requireService(serviceId);
        List<CarvedKey> out = new ArrayList<>(number);
        long ticket;
        synchronized (lock) {
            List<String> ids = keysWithPrefix(chunks, serviceId + "/");
            long available = 0;
            for (String k : ids) {
                available += chunks.get(k).length - AtRestCipher.OVERHEAD - taken.getOrDefault(k, 0);
            }
            if (available < (long) number * sizeBytes) {
                throw new ServiceKeyException(ServiceKeyException.Reason.INSUFFICIENT_KEY, "service " + serviceId
                        + " holds " + available * 8 + " bits of relayed key, " + (long) number * sizeBytes * 8
                        + " asked");
            }
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
                    segments.add(new Segment(sequenceOf(ids.get(chunkIndex)), used, len));
                    used += len;
                    filled += len;
                }
                out.add(new CarvedKey(UUID.randomUUID(), List.copyOf(segments), key));
            }
            if (used == plain.length) {
                finished.add(ids.get(chunkIndex));
            }
            Arrays.fill(plain, (byte) 0);
            String current = chunkIndex < ids.size() ? ids.get(chunkIndex) : null;
            int currentUsed = used;
            ticket = commits.apply(() -> {
                for (String f : finished) {
                    chunks.remove(f);
                    taken.put(f, Integer.MAX_VALUE);
                }
                if (current != null && !finished.contains(current)) {
                    taken.put(current, currentUsed);
                }
            });
        }
        commits.awaitDurable(ticket);
        return out;
    }

    /**
     * At the destination: takes the named segments for key {@code keyId} and keeps the key for the
     * slave SAE. A repeated assignment of the same key id with the same segments is a no-op; a
     * segment behind what was already taken from its chunk is refused ({@code REPLAY}), bytes
     * skipped before it are discarded.
     */
    public void assign(UUID serviceId, UUID keyId, List<Segment> segments) {
        requireService(serviceId);
        String meta = serviceId + "|" + segments;
        long ticket;
        synchronized (lock) {
            String earlier = assignedMeta.get(keyId.toString());
            if (earlier != null) {
                if (!earlier.equals(meta)) {
                    throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "key_ID " + keyId
                            + " is already assigned to other key");
                }
                return;
            }
            int size = segments.stream().mapToInt(Segment::lengthBytes).sum();
            byte[] key = new byte[size];
            int filled = 0;
            List<String[]> updates = new ArrayList<>();
            for (Segment s : segments) {
                String id = chunkId(serviceId, s.sequence());
                Integer used = taken.get(id);
                byte[] sealed = chunks.get(id);
                if (used == null || sealed == null) {
                    throw new ServiceKeyException(used == null ? ServiceKeyException.Reason.INSUFFICIENT_KEY
                            : ServiceKeyException.Reason.REPLAY, "chunk " + s.sequence() + " of service " + serviceId
                            + (used == null ? " has not arrived" : " is used up"));
                }
                if (s.offsetBytes() < used) {
                    throw new ServiceKeyException(ServiceKeyException.Reason.REPLAY, "segment " + s
                            + " starts behind the " + used + " bytes already taken from its chunk");
                }
                byte[] plain = open(id, sealed);
                if (s.offsetBytes() + s.lengthBytes() > plain.length) {
                    throw new ServiceKeyException(ServiceKeyException.Reason.CONFLICT, "segment " + s
                            + " runs past its chunk of " + plain.length + " bytes");
                }
                System.arraycopy(plain, s.offsetBytes(), key, filled, s.lengthBytes());
                filled += s.lengthBytes();
                updates.add(new String[] {id, Integer.toString(s.offsetBytes() + s.lengthBytes()),
                    Integer.toString(plain.length)});
                Arrays.fill(plain, (byte) 0);
            }
            byte[] sealedKey = cipher.seal(aad(keyId.toString()), key, 0, key.length);
            Arrays.fill(key, (byte) 0);
            ticket = commits.apply(() -> {
                for (String[] u : updates) {
                    int end = Integer.parseInt(u[1]);
                    if (end == Integer.parseInt(u[2])) {
                        chunks.remove(u[0]);
                        taken.put(u[0], Integer.MAX_VALUE);
                    } else {
                        taken.put(u[0], end);
                    }
                }
                assigned.put(keyId.toString(), sealedKey);
                assignedMeta.put(keyId.toString(), meta);
            });
        }
        commits.awaitDurable(ticket);
    }

    /** At the destination: the key of {@code keyId}, once; erased as it is handed out. */
    public byte[] takeAssigned(UUID serviceId, UUID keyId) {
        byte[] key;
        long ticket;
        synchronized (lock) {
            String meta = assignedMeta.get(keyId.toString());
            byte[] sealed = assigned.get(keyId.toString());
            if (meta == null || sealed == null || !meta.startsWith(serviceId + "|")) {
                throw new ServiceKeyException(ServiceKeyException.Reason.UNKNOWN_KEY, "key_ID " + keyId
                        + ": unknown for this SAE pair, or already delivered");
            }
            key = open(keyId.toString(), sealed);
            ticket = commits.apply(() -> {
                assigned.remove(keyId.toString());
                // The meta stays (without key) so a repeated assignment is still recognised.
            });
        }
        commits.awaitDurable(ticket);
        return key;
    }

    /** Keys waiting for the slave SAE of a service. */
    public long assignedKeyCount(UUID serviceId) {
        synchronized (lock) {
            return assignedMeta.entrySet().stream().filter(e -> e.getValue().startsWith(serviceId + "|")
                    && assigned.containsKey(e.getKey())).count();
        }
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
        if (!services.containsKey(serviceId.toString())) {
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
        return serviceId + "/" + String.format("%020d", sequence);
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
        return String.join("|", d.masterSaeId(), d.slaveSaeId(), String.join(",", d.routeQkdnIds()),
                String.join(",", d.routeQkdlIds()), Long.toString(d.bufferBits()));
    }

    private static KeyServiceDefinition decode(UUID id, String s) {
        String[] f = s.split("\\|", -1);
        return new KeyServiceDefinition(id, f[0], f[1], List.of(f[2].split(",")), List.of(f[3].split(",")),
                Long.parseLong(f[4]));
    }
}

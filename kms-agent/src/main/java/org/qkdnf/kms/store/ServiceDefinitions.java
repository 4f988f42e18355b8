package org.qkdnf.kms.store;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.qkdnf.kms.api.KeyServiceDefinition;

/**
 * The key services (routes) installed at this node: one map of the service key store's MVStore,
 * keyed by service id in 16 bytes, each definition in a compact binary record (canonical UUID ids
 * in 16 bytes too), and a decoded copy in memory for lock-free reads.
 *
 * <p>Why binary: every group commit rewrites the map's dirty leaf pages whole, and with the ids
 * and definitions as strings (format 1, map {@value #LEGACY_MAP}) MVStore wrote them character by
 * character: a tenth of all CPU of a setup-rate run with 16 key managers. A store written in
 * format 1 is migrated when it is opened, in one commit (a crash before it leaves format 1 as it
 * was, migrated again at the next open); a record of an unknown format refuses the open.
 *
 * <p>Threads: {@link #put} and {@link #remove} only inside the owning store's
 * {@code GroupCommit.apply}, under its lock, so the map and the copy change together and a commit
 * never sees half a change; the readers run on any thread without a lock.
 */
final class ServiceDefinitions {

    /** Format 2: UUID (16 bytes) to binary definition. */
    static final String MAP = "serviceRoutes";
    /** Format 1: service id to "master|slave|nodes|links|buffer bits", both as strings. */
    static final String LEGACY_MAP = "services";
    private static final byte RECORD_FORMAT = 1;
    /** Id tag: a canonical UUID follows in 16 bytes; 1-128 is the length of an ASCII id instead. */
    private static final int UUID_ID = 0;

    private final MVMap<UUID, byte[]> map;
    /** The decoded definitions, in id order (the unsigned order of the UUIDs, as their text sorts). */
    private final ConcurrentSkipListMap<UUID, KeyServiceDefinition> decoded =
            new ConcurrentSkipListMap<>(ServiceDefinitions::unsignedOrder);
    /**
     * The same definitions by SAE pair (master, slave), each pair's in id order: a pair has one
     * route, or a few (1+1, a split, a reroute made before the old route is broken), so an ETSI 014
     * request finds its routes without walking every route of the node. Immutable lists, replaced
     * under the owner's lock.
     */
    private final Map<Pair, List<KeyServiceDefinition>> byPair = new ConcurrentHashMap<>();
    /** Bumped after every change of {@link #decoded}. */
    private volatile long version;
    /**
     * {@link #list()} as last made, with the {@link #version} read before it was made: it holds at
     * least the changes up to that version, so it is current while the version is. A burst of
     * installs between two readers costs one copy, not one per install.
     */
    private volatile Listed listed = new Listed(-1, List.of());

    private record Listed(long version, List<KeyServiceDefinition> list) {
    }

    private record Pair(String masterSaeId, String slaveSaeId) {
        static Pair of(KeyServiceDefinition d) {
            return new Pair(d.masterSaeId(), d.slaveSaeId());
        }

        /**
         * Mixed, not a record's {@code 31 * a + b}: SAE ids of a pair often differ in one character
         * ("sae-m-17", "sae-s-17"), which makes that sum a multiple of 32 plus a constant, and the
         * map's bins turned into trees.
         */
        @Override
        public int hashCode() {
            int h = masterSaeId.hashCode() * 0x9E3779B1 ^ slaveSaeId.hashCode();
            h ^= h >>> 16;
            h *= 0x85EBCA6B;
            return h ^ (h >>> 13);
        }
    }

    /**
     * Opens the map (migrating a format 1 map and committing that) and decodes every definition.
     * Call before the store is shared.
     *
     * @throws IllegalStateException naming the service when a stored definition cannot be read
     */
    ServiceDefinitions(MVStore mv) {
        this.map = mv.openMap(MAP, new MVMap.Builder<UUID, byte[]>().keyType(UuidDataType.INSTANCE)
                .valueType(ByteArrayDataType.INSTANCE));
        if (mv.hasMap(LEGACY_MAP)) {
            MVMap<String, String> legacy = mv.openMap(LEGACY_MAP);
            for (Map.Entry<String, String> e : legacy.entrySet()) {
                KeyServiceDefinition d = read(UUID.fromString(e.getKey()), () -> fromText(UUID.fromString(e.getKey()),
                        e.getValue()));
                map.put(d.serviceId(), encode(d));
            }
            mv.removeMap(legacy);
            mv.commit();
            mv.sync();
        }
        for (Map.Entry<UUID, byte[]> e : map.entrySet()) {
            KeyServiceDefinition d = read(e.getKey(), () -> decode(e.getKey(), e.getValue()));
            decoded.put(e.getKey(), d);
            addToPair(d);
        }
    }

    private static KeyServiceDefinition read(UUID id, java.util.function.Supplier<KeyServiceDefinition> decoder) {
        try {
            return decoder.get();
        } catch (RuntimeException e) {
            throw new IllegalStateException("stored key service " + id + ": cannot read its definition: "
                    + e.getMessage(), e);
        }
    }

    KeyServiceDefinition get(UUID serviceId) {
        return decoded.get(serviceId);
    }

    boolean contains(UUID serviceId) {
        return decoded.containsKey(serviceId);
    }

    /** The installed services of one SAE pair, in id order; an immutable snapshot, usually of one. */
    List<KeyServiceDefinition> ofPair(String masterSaeId, String slaveSaeId) {
        return byPair.getOrDefault(new Pair(masterSaeId, slaveSaeId), List.of());
    }

    /** The installed services in id order; an immutable snapshot. */
    List<KeyServiceDefinition> list() {
        long v = version;  // before the map is read: the list is at least this fresh
        Listed l = listed;
        if (l.version() == v) {
            return l.list();
        }
        List<KeyServiceDefinition> out = List.copyOf(decoded.values());
        listed = new Listed(v, out);
        return out;
    }

    /**
     * Stores {@code d} ({@code record} is {@link #encode}{@code (d)}); false, changing nothing, when
     * exactly {@code d} is stored already. Under the owner's lock, inside its commit's apply.
     */
    boolean put(KeyServiceDefinition d, byte[] record) {
        if (d.equals(decoded.get(d.serviceId()))) {
            return false;
        }
        map.put(d.serviceId(), record);
        KeyServiceDefinition replaced = decoded.put(d.serviceId(), d);
        if (replaced != null) {
            removeFromPair(replaced);
        }
        addToPair(d);
        version++;  // only under the owner's lock, so no update is lost
        return true;
    }

    /** Removes the service; its definition, or null if none. Under the owner's lock, inside its apply. */
    KeyServiceDefinition remove(UUID serviceId) {
        if (map.remove(serviceId) == null) {
            return null;
        }
        KeyServiceDefinition d = decoded.remove(serviceId);
        removeFromPair(d);
        version++;
        return d;
    }

    private void addToPair(KeyServiceDefinition d) {
        List<KeyServiceDefinition> routes = new ArrayList<>(byPair.getOrDefault(Pair.of(d), List.of()));
        int at = 0;
        while (at < routes.size() && unsignedOrder(routes.get(at).serviceId(), d.serviceId()) < 0) {
            at++;
        }
        routes.add(at, d);
        byPair.put(Pair.of(d), List.copyOf(routes));
    }

    private void removeFromPair(KeyServiceDefinition d) {
        List<KeyServiceDefinition> routes = new ArrayList<>(byPair.getOrDefault(Pair.of(d), List.of()));
        routes.removeIf(r -> r.serviceId().equals(d.serviceId()));
        if (routes.isEmpty()) {
            byPair.remove(Pair.of(d));
        } else {
            byPair.put(Pair.of(d), List.copyOf(routes));
        }
    }

    // --- records ---------------------------------------------------------------------------------

    /**
     * Format byte, master and slave SAE id, buffer bits, then the route's nodes and links, each
     * counted. Ids are ASCII (the definition checks them), so a length byte and the bytes, or 16
     * bytes for a UUID in canonical lower-case text, which reads back as exactly that text.
     */
    static byte[] encode(KeyServiceDefinition d) {
        ByteBuffer b = ByteBuffer.allocate(1 + 8 + 8 + idBytes(d.masterSaeId()) + idBytes(d.slaveSaeId())
                + idsBytes(d.routeQkdnIds()) + idsBytes(d.routeQkdlIds()));
        b.put(RECORD_FORMAT);
        putId(b, d.masterSaeId());
        putId(b, d.slaveSaeId());
        b.putLong(d.bufferBits());
        putIds(b, d.routeQkdnIds());
        putIds(b, d.routeQkdlIds());
        return b.array();
    }

    static KeyServiceDefinition decode(UUID serviceId, byte[] record) {
        ByteBuffer b = ByteBuffer.wrap(record);
        byte format = b.get();
        if (format != RECORD_FORMAT) {
            throw new IllegalStateException("record format " + format + " is unknown here (written by a newer"
                    + " kms-agent?)");
        }
        String master = getId(b);
        String slave = getId(b);
        long bufferBits = b.getLong();
        return new KeyServiceDefinition(serviceId, master, slave, getIds(b), getIds(b), bufferBits);
    }

    private static int idsBytes(List<String> ids) {
        int n = 4;
        for (String id : ids) {
            n += idBytes(id);
        }
        return n;
    }

    private static int idBytes(String id) {
        return 1 + (isCanonicalUuid(id) ? 16 : id.length());
    }

    private static void putIds(ByteBuffer b, List<String> ids) {
        b.putInt(ids.size());
        for (String id : ids) {
            putId(b, id);
        }
    }

    private static List<String> getIds(ByteBuffer b) {
        int n = b.getInt();
        if (n < 0 || n > b.remaining()) {
            throw new IllegalStateException("record: " + n + " ids cannot fit its " + b.remaining() + " bytes left");
        }
        List<String> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(getId(b));
        }
        return out;
    }

    private static void putId(ByteBuffer b, String id) {
        if (isCanonicalUuid(id)) {
            UUID u = UUID.fromString(id);
            b.put((byte) UUID_ID).putLong(u.getMostSignificantBits()).putLong(u.getLeastSignificantBits());
        } else {
            b.put((byte) id.length()).put(id.getBytes(StandardCharsets.US_ASCII));
        }
    }

    private static String getId(ByteBuffer b) {
        int tag = b.get() & 0xff;
        if (tag == UUID_ID) {
            return new UUID(b.getLong(), b.getLong()).toString();
        }
        byte[] ascii = new byte[tag];
        b.get(ascii);
        return new String(ascii, StandardCharsets.US_ASCII);
    }

    /** 8-4-4-4-12 lower-case hex digits: what {@link UUID#toString()} gives back for the same bits. */
    private static boolean isCanonicalUuid(String s) {
        if (s.length() != 36) {
            return false;
        }
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            boolean ok = i == 8 || i == 13 || i == 18 || i == 23 ? c == '-'
                    : (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    /** Format 1, which the retired map still uses: "master|slave|node,node|link|buffer bits". */
    static String toText(KeyServiceDefinition d) {
        return String.join("|", d.masterSaeId(), d.slaveSaeId(), String.join(",", d.routeQkdnIds()),
                String.join(",", d.routeQkdlIds()), Long.toString(d.bufferBits()));
    }

    static KeyServiceDefinition fromText(UUID id, String s) {
        String[] f = s.split("\\|", -1);
        return new KeyServiceDefinition(id, f[0], f[1], List.of(f[2].split(",")), List.of(f[3].split(",")),
                Long.parseLong(f[4]));
    }

    /** The order of {@link UUID#toString()} (the store's key order). */
    static int unsignedOrder(UUID a, UUID b) {
        return UuidDataType.INSTANCE.compare(a, b);
    }
}

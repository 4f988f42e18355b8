package org.qkdnf.controller.app.keyservice;

import java.nio.ByteBuffer;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.Versioned;

/**
 * The key-service owner's fencing token: the leadership term of the instance that runs the
 * key-service manager, kept in a ConsistentMap entry. A new leader raises it before it reads the
 * services and reservations; every write of a manager is checked against it after the write (see
 * {@link FencedMap}), so a former leader that has not yet heard of its demotion cannot change what
 * the new leader loaded: its write is undone and its request fails UNAVAILABLE.
 *
 * <p>Threads: any; the map entry is the only state (plus the immutable term).
 */
final class OwnerFence {

    static final String OWNER_KEY = "owner";

    private final ConsistentMap<String, byte[]> map;
    private final long term;

    OwnerFence(ConsistentMap<String, byte[]> map, long term) {
        this.map = map;
        this.term = term;
    }

    long term() {
        return term;
    }

    /**
     * Raises the stored term to this one; false when a later term already holds it (this
     * instance's leadership is already over).
     */
    boolean claim() {
        while (true) {
            Versioned<byte[]> stored = map.get(OWNER_KEY);
            if (stored == null) {
                if (map.putIfAbsent(OWNER_KEY, encode(term)) == null) {
                    return true;
                }
                continue;
            }
            long current = decode(stored.value());
            if (current > term) {
                return false;
            }
            if (current == term || map.replace(OWNER_KEY, stored.version(), encode(term))) {
                return true;
            }
        }
    }

    /** Throws UNAVAILABLE when a later term owns the key services. */
    void check() {
        Versioned<byte[]> stored = map.get(OWNER_KEY);
        long current = stored == null ? Long.MIN_VALUE : decode(stored.value());
        if (current != term) {
            throw superseded(current);
        }
    }

    StatusRuntimeException superseded(long current) {
        return Status.UNAVAILABLE.withDescription("key services moved to a new leader (term " + current
                + " replaced term " + term + "); retry").asRuntimeException();
    }

    static byte[] encode(long term) {
        return ByteBuffer.allocate(Long.BYTES).putLong(term).array();
    }

    static long decode(byte[] b) {
        return ByteBuffer.wrap(b).getLong();
    }
}

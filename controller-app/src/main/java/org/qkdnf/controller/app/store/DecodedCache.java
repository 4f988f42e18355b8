package org.qkdnf.controller.app.store;

import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiFunction;

import org.onosproject.store.service.Versioned;

/**
 * Decoded values of a ConsistentMap, keyed by the map entry's version, so that reading an entry
 * that has not changed costs no protobuf parse (the performance path reads the link on every
 * report).
 *
 * <p>Threads: any. Two threads may decode the same version at once; both results are equal and
 * either may stay cached.
 */
final class DecodedCache<T> {

    private static final class Entry<T> {
        final long version;
        final T value;

        Entry(long version, T value) {
            this.version = version;
            this.value = value;
        }
    }

    private final ConcurrentHashMap<String, Entry<T>> entries = new ConcurrentHashMap<>();
    private final BiFunction<String, byte[], T> decoder;

    DecodedCache(BiFunction<String, byte[], T> decoder) {
        this.decoder = decoder;
    }

    /** The decoded value of {@code stored}; null when {@code stored} is null. */
    T get(String key, Versioned<byte[]> stored) {
        if (stored == null) {
            return null;
        }
        Entry<T> e = entries.get(key);
        if (e != null && e.version == stored.version()) {
            return e.value;
        }
        T value = decoder.apply(key, stored.value());
        entries.put(key, new Entry<>(stored.version(), value));
        return value;
    }

    void remove(String key) {
        entries.remove(key);
    }

    void clear() {
        entries.clear();
    }
}

package org.qkdnf.controller.app.keyservice;

import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;

import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.Versioned;

/**
 * Writes to a ConsistentMap by the key-service owner, each checked against the {@link OwnerFence}
 * after it landed: when a later leader has raised the fence in the meantime, the write is undone
 * (only if nobody wrote the entry since) and UNAVAILABLE is thrown.
 *
 * <p>Why after, not before: a check before the write leaves a window in which the new leader reads
 * the maps between the check and the write. Checked after, either the new leader's load saw the
 * write (and the write is then undone and refused, so what the new leader holds is at worst a
 * reservation without a service, which it releases at takeover), or the write came after the
 * fence was raised and the check sees the later term. Assumes the map's reads are linearizable,
 * as ONOS's Raft-backed ConsistentMap reads are.
 *
 * <p>Threads: any; the map is thread-safe.
 */
final class FencedMap {

    private final ConsistentMap<String, byte[]> map;
    private final OwnerFence fence;

    FencedMap(ConsistentMap<String, byte[]> map, OwnerFence fence) {
        this.map = map;
        this.fence = fence;
    }

    /** Every entry, in no particular order. */
    Map<String, byte[]> entries() {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Versioned<byte[]>> e : map.entrySet()) {
            out.put(e.getKey(), e.getValue().value());
        }
        return out;
    }

    void put(String key, byte[] value) {
        fence.check();
        Versioned<byte[]> previous = map.put(key, value);
        try {
            fence.check();
        } catch (RuntimeException e) {
            Versioned<byte[]> now = map.get(key);
            if (now != null && Arrays.equals(now.value(), value)) {
                if (previous == null) {
                    map.remove(key, now.version());
                } else {
                    map.replace(key, now.version(), previous.value());
                }
            }
            throw e;
        }
    }

    void remove(String key) {
        fence.check();
        Versioned<byte[]> previous = map.remove(key);
        if (previous == null) {
            return;
        }
        try {
            fence.check();
        } catch (RuntimeException e) {
            map.putIfAbsent(key, previous.value());
            throw e;
        }
    }
}

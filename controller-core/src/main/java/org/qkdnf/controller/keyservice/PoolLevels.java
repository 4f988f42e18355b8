package org.qkdnf.controller.keyservice;

import java.util.Collections;
import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;

/**
 * Key stored per lane (one direction of a link, {@link LaneIds}), for the pool term of the path
 * cost: the bits the link's key managers hold ready for relay in that direction, as they last
 * reported over Sk. Both ends hold copies of the same lane, so a lane has the smaller of its two
 * copies; a lane an end has not reported has 0 (the cost then charges the full pool term, as for an
 * empty pool).
 *
 * <p>Pool reports arrive every report interval (seconds), while a busy controller plans thousands
 * of routes a second, so the per-lane figures are rebuilt at most every {@value #REFRESH_MS} ms.
 *
 * <p>Threads: the key-service manager's thread only.
 */
final class PoolLevels {

    static final long REFRESH_MS = 500;

    private final KeyManagementService keyManagement;
    private final LongSupplier nowMs;
    /** Null until first built. */
    private Map<String, Long> bitsByLane;
    private long builtAtMs;

    PoolLevels(KeyManagementService keyManagement, LongSupplier nowMs) {
        this.keyManagement = keyManagement;
        this.nowMs = nowMs;
    }

    /**
     * Available key bits per lane id as last reported (a lane not in it: 0), rebuilt when older
     * than {@value #REFRESH_MS} ms; read once per planning graph, not per edge.
     */
    Map<String, Long> bitsByLane() {
        long now = nowMs.getAsLong();
        if (bitsByLane == null || now - builtAtMs >= REFRESH_MS || now < builtAtMs) {
            Map<String, Long> m = new HashMap<>();
            for (KmLinkState l : keyManagement.getKmLinks()) {
                Map<String, Long> atA = byOwner(l.getLevelsAList());
                Map<String, Long> atB = byOwner(l.getLevelsBList());
                atA.forEach((owner, bits) -> m.put(LaneIds.of(l.getQkdlId(), owner),
                        Math.min(bits, atB.getOrDefault(owner, 0L))));
            }
            bitsByLane = Collections.unmodifiableMap(m);
            builtAtMs = now;
        }
        return bitsByLane;
    }

    private static Map<String, Long> byOwner(Iterable<PoolLevel> levels) {
        Map<String, Long> out = new HashMap<>();
        for (PoolLevel p : levels) {
            if (!p.getOwnerQkdnId().isEmpty()) {
                out.merge(p.getOwnerQkdnId(), p.getAvailableBits(), Long::sum);
            }
        }
        return out;
    }
}

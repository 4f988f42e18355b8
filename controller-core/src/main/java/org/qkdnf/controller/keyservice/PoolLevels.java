package org.qkdnf.controller.keyservice;

import java.util.HashMap;
import java.util.Map;
import java.util.function.LongSupplier;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;

/**
 * Key stored per link, for the pool term of the path cost: the bits the link's key managers hold
 * ready for relay, as they last reported over Sk. Both ends hold copies of the same key, so a
 * link has the smaller of its two ends' totals (summed over the link's lanes); a link an end has
 * not reported has 0 (the cost then charges the full pool term, as for an empty pool).
 *
 * <p>Pool reports arrive every report interval (seconds), while a busy controller plans thousands
 * of routes a second, so the per-link figures are rebuilt at most every {@value #REFRESH_MS} ms.
 *
 * <p>Threads: the key-service manager's thread only.
 */
final class PoolLevels {

    static final long REFRESH_MS = 500;

    private final KeyManagementService keyManagement;
    private final LongSupplier nowMs;
    /** Null until first built. */
    private Map<String, Long> bitsByLink;
    private long builtAtMs;

    PoolLevels(KeyManagementService keyManagement, LongSupplier nowMs) {
        this.keyManagement = keyManagement;
        this.nowMs = nowMs;
    }

    /** Available key bits on {@code qkdlId} as last reported; 0 when unknown. */
    long bits(String qkdlId) {
        long now = nowMs.getAsLong();
        if (bitsByLink == null || now - builtAtMs >= REFRESH_MS || now < builtAtMs) {
            Map<String, Long> m = new HashMap<>();
            for (KmLinkState l : keyManagement.getKmLinks()) {
                m.put(l.getQkdlId(), Math.min(total(l.getLevelsAList()), total(l.getLevelsBList())));
            }
            bitsByLink = m;
            builtAtMs = now;
        }
        return bitsByLink.getOrDefault(qkdlId, 0L);
    }

    private static long total(Iterable<PoolLevel> levels) {
        long sum = 0;
        for (PoolLevel p : levels) {
            sum += p.getAvailableBits();
        }
        return sum;
    }
}

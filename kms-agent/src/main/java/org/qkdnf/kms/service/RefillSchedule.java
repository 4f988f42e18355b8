package org.qkdnf.kms.service;

import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.HopCipher;

/**
 * Which source services the refill loop visits on a pass. A service that can make no progress
 * (its lane of the first link holds less than a chunk, no chunk of it is in flight and less than
 * one key of relayed key is left to carve) is parked on its lane; a pass checks each lane with
 * parked services once and wakes them all when it holds a chunk of the smallest size they need.
 * So a pass costs the services that can move plus one level read per dry lane, not every service
 * installed (a node serving hundreds of routes whose lanes are dry used to spend most of its CPU
 * walking them, and threw an exception per service per pass).
 *
 * <p>Threads: {@link #add} and {@link #remove} may be called from any thread ({@code sources} and
 * {@code active} are concurrent maps; a replaced or removed entry is recognised by identity). The
 * parked index is confined to the refill thread, the only caller of {@link #active()} and
 * {@link #park}.
 */
final class RefillSchedule {

    /** A service whose source is this node, as the refill loop sees it. */
    static final class Source {
        final KeyServiceDefinition definition;
        /** This node's lane of the route's first link: where its key comes from. */
        final String lane;
        final long chunkBits;
        /**
         * The least key the lane must hold to relay one chunk: the chunk itself and its first hop's
         * one-time MAC key (the first hop names the chunk's range of the lane instead of padding
         * it, {@code RelayNode#relayLaneKey}).
         */
        final long startBits;

        Source(KeyServiceDefinition definition, String selfQkdnId) {
            this.definition = definition;
            this.lane = LaneIds.of(definition.routeQkdlIds().get(0), selfQkdnId);
            this.chunkBits = KeyServiceManager.chunkBytes(definition) * 8L;
            this.startBits = chunkBits + HopCipher.MAC_KEY_BITS;
        }
    }

    /** Services parked on one lane, and the least key that lets one of them move. */
    private static final class ParkedLane {
        final List<Source> sources = new ArrayList<>();
        long wakeBits = Long.MAX_VALUE;
    }

    private final String selfQkdnId;
    private final KeyPoolStore pools;
    private final ConcurrentHashMap<UUID, Source> sources = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<UUID, Source> active = new ConcurrentHashMap<>();
    private final Map<String, ParkedLane> parked = new HashMap<>();  // refill thread only

    RefillSchedule(String selfQkdnId, KeyPoolStore pools) {
        this.selfQkdnId = selfQkdnId;
        this.pools = pools;
    }

    /** A service was installed (or replaced); visited from the next pass on if this node is its source. */
    void add(KeyServiceDefinition d) {
        if (!d.sourceQkdnId().equals(selfQkdnId)) {
            remove(d.serviceId());  // a replacement may have moved the source elsewhere
            return;
        }
        Source s = new Source(d, selfQkdnId);
        sources.put(d.serviceId(), s);
        active.put(d.serviceId(), s);
    }

    void remove(UUID serviceId) {
        sources.remove(serviceId);
        active.remove(serviceId);
    }

    /** The services to visit on this pass, after waking those whose lane gained key. Refill thread. */
    Collection<Source> active() {
        for (Iterator<Map.Entry<String, ParkedLane>> it = parked.entrySet().iterator(); it.hasNext(); ) {
            Map.Entry<String, ParkedLane> e = it.next();
            if (laneBits(e.getKey()) >= e.getValue().wakeBits) {
                for (Source s : e.getValue().sources) {
                    if (sources.get(s.definition.serviceId()) == s) {
                        active.putIfAbsent(s.definition.serviceId(), s);
                    }
                }
                it.remove();
            }
        }
        return active.values();
    }

    /** Stops visiting {@code s} until its lane holds a chunk. Refill thread. */
    void park(Source s) {
        if (active.remove(s.definition.serviceId(), s)) {
            ParkedLane lane = parked.computeIfAbsent(s.lane, l -> new ParkedLane());
            lane.sources.add(s);
            lane.wakeBits = Math.min(lane.wakeBits, s.startBits);
        }
    }

    /** Key in a lane now; 0 when it has no pool (yet), which costs no exception, or the store closed. */
    long laneBits(String lane) {
        try {
            return pools.availableBits(lane);
        } catch (KeyPoolException e) {
            return 0;
        }
    }
}

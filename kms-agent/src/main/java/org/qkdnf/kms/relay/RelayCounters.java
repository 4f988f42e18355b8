package org.qkdnf.kms.relay;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Live per-link counters of a node; thread-safe, cheap to update. */
final class RelayCounters {

    private final Map<String, Link> links = new ConcurrentHashMap<>();

    Link link(String qkdlId) {
        return links.computeIfAbsent(qkdlId, Link::new);
    }

    Map<String, LinkRelayCounters> snapshot() {
        Map<String, LinkRelayCounters> out = new TreeMap<>();
        links.forEach((id, link) -> out.put(id, link.snapshot()));
        return out;
    }

    static final class Link {
        private final String qkdlId;
        final LongAdder messagesSent = new LongAdder();
        final LongAdder bitsSent = new LongAdder();
        final LongAdder authBitsSent = new LongAdder();
        final LongAdder messagesReceived = new LongAdder();
        final LongAdder bitsReceived = new LongAdder();
        final LongAdder authBitsReceived = new LongAdder();
        final LongAdder failures = new LongAdder();
        final LongAdder reservedAheadBits = new LongAdder();
        final LongAdder trimmedBits = new LongAdder();

        Link(String qkdlId) {
            this.qkdlId = qkdlId;
        }

        LinkRelayCounters snapshot() {
            return new LinkRelayCounters(qkdlId, messagesSent.sum(), bitsSent.sum(), authBitsSent.sum(),
                    messagesReceived.sum(), bitsReceived.sum(), authBitsReceived.sum(), failures.sum(),
                    reservedAheadBits.sum(), trimmedBits.sum());
        }
    }
}

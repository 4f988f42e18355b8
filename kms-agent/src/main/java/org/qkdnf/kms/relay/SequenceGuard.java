package org.qkdnf.kms.relay;

import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Per key service, the highest relay sequence number accepted so far: a message must carry a
 * higher one. This catches a replayed message even when its ranges would not (for example a
 * replay re-encrypted by a compromised node); the store's durable watermark catches replays of
 * ranges, also across restarts, which this in-memory guard does not survive.
 *
 * <p>Assumes one route per service at a time: a service whose keys reach this node over two
 * routes at once could see them out of order. One entry per service: the key-service layer should
 * call {@link #forget} when a service is deleted.
 */
final class SequenceGuard {

    private final Map<UUID, Long> highest = new ConcurrentHashMap<>();

    /**
     * Records {@code sequence} if it is above the highest so far.
     *
     * @return 0 when accepted, otherwise the highest sequence already accepted
     */
    long accept(UUID serviceId, long sequence) {
        long[] refused = {0};
        highest.compute(serviceId, (id, last) -> {
            if (last != null && Long.compareUnsigned(sequence, last) <= 0) {
                refused[0] = last;
                return last;
            }
            return sequence;
        });
        return refused[0];
    }

    void forget(UUID serviceId) {
        highest.remove(serviceId);
    }
}

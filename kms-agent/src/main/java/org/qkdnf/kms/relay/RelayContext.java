package org.qkdnf.kms.relay;

import java.time.Duration;
import java.time.Instant;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.Status;
import org.qkdnf.kms.api.KeyPoolStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** What the sender and receiver sides of one node share: identity, store, counters, alarms, limits. */
final class RelayContext {

    private static final Logger log = LoggerFactory.getLogger(RelayContext.class);

    final String selfId;
    final KeyPoolStore store;
    final RelayCounters counters = new RelayCounters();
    final RelayAlarmListener alarms;
    final int maxPayloadBytes;
    final Duration keyArrivalWait;
    /** Reserves the senders' next reservations ahead of need; daemon threads, stopped by {@link RelayNode#close()}. */
    final ExecutorService background;

    RelayContext(String selfId, KeyPoolStore store, RelayAlarmListener alarms, int maxPayloadBytes,
                 Duration keyArrivalWait) {
        this.selfId = selfId;
        this.store = store;
        this.alarms = alarms;
        this.maxPayloadBytes = maxPayloadBytes;
        this.keyArrivalWait = keyArrivalWait;
        AtomicInteger threads = new AtomicInteger();
        this.background = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "kk-reserve-" + selfId + "-" + threads.incrementAndGet());
            t.setDaemon(true);
            return t;
        });
    }

    /** Counts a failure on the hop's link, logs it (no key material) and raises the alarm. */
    void failure(Hop hop, UUID serviceId, long sequence, RelayException e) {
        if (!"?".equals(hop.qkdlId())) {
            counters.link(hop.qkdlId()).failures.increment();
        }
        log.warn("relay failure detected by node {}: service {} sequence {}: {} {}", selfId, serviceId,
                Long.toUnsignedString(sequence), e.code(), e.getMessage());
        try {
            alarms.onAlarm(new RelayAlarm(Instant.now(), selfId, hop, serviceId, sequence, e.code(), e.getMessage()));
        } catch (RuntimeException listenerFailure) {
            log.warn("relay alarm listener failed", listenerFailure);
        }
    }

    static RelayException internal(Hop hop, Throwable t) {
        return RelayException.at(hop, Status.Code.INTERNAL, "internal error (" + t.getClass().getSimpleName() + ")");
    }
}

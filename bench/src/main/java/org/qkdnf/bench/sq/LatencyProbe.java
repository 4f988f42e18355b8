package org.qkdnf.bench.sq;

import java.time.Instant;
import java.util.concurrent.atomic.AtomicLong;

import org.HdrHistogram.Histogram;
import org.HdrHistogram.Recorder;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;

/**
 * Topology listener that turns every accepted link-performance update into one latency sample:
 * event arrival minus the {@code measured_at} the agent stamped when the entry was due to be sent
 * (its scheduled time, so any lag of the sender counts too). A {@code LINK_PERFORMANCE} event
 * carries the link after the update, whose {@code measuredAt} is that update's {@code measured_at}.
 *
 * <p>Threads: {@link #event} runs on the controller's single event-dispatch thread; the
 * {@link Recorder} takes samples from it while the driver's thread swaps out interval histograms,
 * and {@code accepted} is read by the driver. Cost per event: two clock reads and one record.
 */
final class LatencyProbe implements QkdTopologyListener {

    /** Samples are in microseconds; 3 significant digits; auto-resizing, so no cap on delay. */
    private final Recorder recorder = new Recorder(3);
    private final AtomicLong accepted = new AtomicLong();
    private final BenchClock clock;

    LatencyProbe(BenchClock clock) {
        this.clock = clock;
    }

    @Override
    public void event(QkdTopologyEvent event) {
        if (event.type() != QkdTopologyEvent.Type.LINK_PERFORMANCE) {
            return;
        }
        QkdLinkInfo link = event.link().orElseThrow();
        Instant at = link.measuredAt();
        long sentMicros = at.getEpochSecond() * 1_000_000L + at.getNano() / 1000;
        recorder.recordValue(Math.max(0, clock.nowMicros() - sentMicros));
        accepted.incrementAndGet();
    }

    /** Updates accepted (and seen by this listener) since start. */
    long accepted() {
        return accepted.get();
    }

    /** The samples since the previous call (the first call: since start); resets the interval. */
    Histogram takeInterval() {
        return recorder.getIntervalHistogram();
    }
}

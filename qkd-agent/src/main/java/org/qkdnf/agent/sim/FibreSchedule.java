package org.qkdnf.agent.sim;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

/**
 * The faults scheduled on one fibre and the fibre's condition they imply at any time. Times are
 * seconds after the schedule's epoch; events at the same time apply in the order given.
 *
 * <p>Immutable and thread-safe.
 */
public final class FibreSchedule {

    /** A fibre with no faults. */
    public static final FibreSchedule NONE = new FibreSchedule(List.of());

    private final List<FibreEvent> events;

    public FibreSchedule(List<FibreEvent> events) {
        List<FibreEvent> sorted = new ArrayList<>(events);
        sorted.sort(Comparator.comparingDouble(FibreEvent::atS)); // stable: keeps the given order on ties
        this.events = List.copyOf(sorted);
    }

    public List<FibreEvent> events() {
        return events;
    }

    /**
     * Attenuation added to the fibre's own at {@code tS}, dB; {@link Double#POSITIVE_INFINITY} while
     * the fibre is cut.
     */
    public double extraLossDb(double tS) {
        boolean cut = false;
        double loss = 0;
        double degradeRateDbPerS = 0;
        double since = 0;
        for (FibreEvent e : events) {
            if (e.atS() > tS) {
                break;
            }
            loss += degradeRateDbPerS * (e.atS() - since);
            since = e.atS();
            switch (e.type()) {
                case CUT:
                    cut = true;
                    break;
                case REPAIR:
                    cut = false;
                    loss = 0;
                    degradeRateDbPerS = 0;
                    break;
                case DEGRADE:
                    degradeRateDbPerS += e.extraLossDbPerHour() / 3600.0;
                    break;
                default:
                    throw new IllegalStateException("unknown event type " + e.type());
            }
        }
        if (cut) {
            return Double.POSITIVE_INFINITY;
        }
        return loss + degradeRateDbPerS * (tS - since);
    }

    /** Time of the first event strictly after {@code tS}, or {@link Double#POSITIVE_INFINITY}. */
    public double nextEventAfter(double tS) {
        for (FibreEvent e : events) {
            if (e.atS() > tS) {
                return e.atS();
            }
        }
        return Double.POSITIVE_INFINITY;
    }
}

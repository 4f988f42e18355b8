package org.qkdnf.controller.admission;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The key rate a key service holds on each lane (link and direction, {@link org.qkdnf.common.ids.LaneIds})
 * its route(s) relay over. Immutable.
 */
public final class Reservation {

    private final String serviceId;
    private final int priority;
    private final Map<String, Long> rateBpsByLane;
    private final long admittedSeq;

    /**
     * @param serviceId      the key service
     * @param priority       higher keeps its rate when capacity is short (see {@link AdmissionController})
     * @param rateBpsByLane  bit/s reserved per lane id; positive (whole bits per second, so sums are exact)
     * @param admittedSeq    admission order, for the displacement rule (later admitted goes first)
     */
    public Reservation(String serviceId, int priority, Map<String, Long> rateBpsByLane, long admittedSeq) {
        this.serviceId = Objects.requireNonNull(serviceId, "service_id");
        this.priority = priority;
        TreeMap<String, Long> rates = new TreeMap<>();
        for (Map.Entry<String, Long> e : rateBpsByLane.entrySet()) {
            long r = e.getValue();
            if (r <= 0) {
                throw new IllegalArgumentException("rate_bps on lane " + e.getKey() + ": must be positive, got " + r);
            }
            rates.put(e.getKey(), r);
        }
        if (rates.isEmpty()) {
            throw new IllegalArgumentException("lanes: a reservation needs at least one lane");
        }
        this.rateBpsByLane = Collections.unmodifiableMap(rates);
        this.admittedSeq = admittedSeq;
    }

    public String serviceId() {
        return serviceId;
    }

    public int priority() {
        return priority;
    }

    /** bit/s per lane, in lane id order. */
    public Map<String, Long> rateBpsByLane() {
        return rateBpsByLane;
    }

    public long admittedSeq() {
        return admittedSeq;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof Reservation)) {
            return false;
        }
        Reservation r = (Reservation) o;
        return serviceId.equals(r.serviceId) && priority == r.priority && admittedSeq == r.admittedSeq
                && rateBpsByLane.equals(r.rateBpsByLane);
    }

    @Override
    public int hashCode() {
        return Objects.hash(serviceId, priority, rateBpsByLane, admittedSeq);
    }

    @Override
    public String toString() {
        return "Reservation[" + serviceId + ", priority " + priority + ", " + rateBpsByLane + "]";
    }
}

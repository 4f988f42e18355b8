package org.qkdnf.controller.admission;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The key rate a key service holds on each link of its route(s). Immutable.
 */
public final class Reservation {

    private final String serviceId;
    private final int priority;
    private final Map<String, Long> rateBpsByLink;
    private final long admittedSeq;

    /**
     * @param serviceId      the key service
     * @param priority       higher keeps its rate when capacity is short (see {@link AdmissionController})
     * @param rateBpsByLink  bit/s reserved per qkdl_id; positive (whole bits per second, so sums are exact)
     * @param admittedSeq    admission order, for the displacement rule (later admitted goes first)
     */
    public Reservation(String serviceId, int priority, Map<String, Long> rateBpsByLink, long admittedSeq) {
        this.serviceId = Objects.requireNonNull(serviceId, "service_id");
        this.priority = priority;
        TreeMap<String, Long> rates = new TreeMap<>();
        for (Map.Entry<String, Long> e : rateBpsByLink.entrySet()) {
            long r = e.getValue();
            if (r <= 0) {
                throw new IllegalArgumentException("rate_bps on link " + e.getKey() + ": must be positive, got " + r);
            }
            rates.put(e.getKey(), r);
        }
        if (rates.isEmpty()) {
            throw new IllegalArgumentException("links: a reservation needs at least one link");
        }
        this.rateBpsByLink = Collections.unmodifiableMap(rates);
        this.admittedSeq = admittedSeq;
    }

    public String serviceId() {
        return serviceId;
    }

    public int priority() {
        return priority;
    }

    /** bit/s per link, in link id order. */
    public Map<String, Long> rateBpsByLink() {
        return rateBpsByLink;
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
                && rateBpsByLink.equals(r.rateBpsByLink);
    }

    @Override
    public int hashCode() {
        return Objects.hash(serviceId, priority, rateBpsByLink, admittedSeq);
    }

    @Override
    public String toString() {
        return "Reservation[" + serviceId + ", priority " + priority + ", " + rateBpsByLink + "]";
    }
}

package org.qkdnf.controller.admission;

import java.util.List;
import org.qkdnf.common.ids.LaneIds;

/**
 * The answer to a reservation request: admitted (possibly by displacing lower-priority
 * reservations, which the caller must then reroute or degrade), or refused with the first lane,
 * in lane id order, that lacked the rate.
 */
public final class AdmissionDecision {

    private final boolean admitted;
    private final List<Reservation> preempted;
    private final String shortLane;
    private final long requestedBps;
    private final long availableBps;

    private AdmissionDecision(boolean admitted, List<Reservation> preempted, String shortLane, long requestedBps,
                              long availableBps) {
        this.admitted = admitted;
        this.preempted = List.copyOf(preempted);
        this.shortLane = shortLane;
        this.requestedBps = requestedBps;
        this.availableBps = availableBps;
    }

    static AdmissionDecision admitted(List<Reservation> preempted) {
        return new AdmissionDecision(true, preempted, null, 0, 0);
    }

    static AdmissionDecision refused(String lane, long requestedBps, long availableBps) {
        return new AdmissionDecision(false, List.of(), lane, requestedBps, availableBps);
    }

    public boolean admitted() {
        return admitted;
    }

    /** Reservations released to make room (empty unless pre-emption was asked for and needed). */
    public List<Reservation> preempted() {
        return preempted;
    }

    /** A refusal's reason, naming the link, the direction and the figures; empty when admitted. */
    public String reason() {
        return admitted ? "" : LaneIds.describe(shortLane) + ": " + requestedBps + " bit/s requested, " + availableBps
                + " bit/s admissible and unreserved";
    }

    /** The lane id that lacked the rate; null when admitted. */
    public String shortLane() {
        return shortLane;
    }

    @Override
    public String toString() {
        return admitted ? "admitted" + (preempted.isEmpty() ? "" : ", pre-empting " + preempted) : "refused: " + reason();
    }
}

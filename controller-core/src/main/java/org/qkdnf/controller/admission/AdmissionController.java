package org.qkdnf.controller.admission;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Admission of key rate on the lanes of QKD links: the rate reserved on a lane never exceeds what
 * the controller admits for it, {@code floor(admissible_fraction × measured key rate of the lane)}
 * bit/s. A lane is one direction of a link ({@link org.qkdnf.common.ids.LaneIds}): the key
 * managers split each link's key into two lanes, and key relayed from one end spends only that
 * end's lane, so each direction is admitted against its own lane's rate (half the link's SKR; the
 * caller says so through {@link #updateCapacity}). Here a lane is any id with a capacity.
 *
 * <p>Every decision is made and applied under one lock, all lanes of a request at once (all or
 * nothing), so no interleaving of concurrent requests can overbook a lane; the reservation is
 * saved to the {@link ReservationStore} before it takes effect (or, with deferred durability,
 * before {@link #flush()} completes, which the caller awaits before acting on it), so what was
 * admitted survives a restart. When a lane's capacity falls (its link's SKR drops, the link goes
 * down, the fraction is lowered) below what is reserved on it, reservations are displaced at once until it
 * fits, and returned to the caller to reroute or degrade: the invariant holds after every call,
 * not eventually.
 *
 * <p><b>Displacement and pre-emption rule.</b> Among the reservations using the lane, the lowest
 * priority goes first; among equal priorities the most recently admitted (a newer service yields
 * to an older one); ties cannot remain (admission order is unique). A request may pre-empt only
 * reservations of strictly lower priority, chosen by the same rule, and only if that makes it fit;
 * otherwise nothing is released and the request is refused.
 *
 * <p>Threads: any; all state below is guarded by {@link #lock}. Store calls happen under the lock.
 */
public final class AdmissionController {

    private final ReentrantLock lock = new ReentrantLock();
    private final ReservationStore store;
    private final boolean deferDurability;
    // Guarded by lock.
    private double admissibleFraction;
    private final Map<String, Long> measuredKeyRateBps = new HashMap<>();
    private final Map<String, Reservation> reservations = new HashMap<>();
    private final Map<String, Long> reservedBps = new HashMap<>();
    private long nextSeq;

    /**
     * Restores the reservations of {@code store}. Lanes have no capacity until
     * {@link #updateCapacity} says so; restored reservations are kept until then (a restarted
     * controller does not drop services before it has heard from the agents).
     *
     * @param admissibleFraction the share of a lane's measured key rate that may be reserved, in (0, 1]
     */
    public AdmissionController(ReservationStore store, double admissibleFraction) {
        this(store, admissibleFraction, false);
    }

    /**
     * @param deferDurability whether changes may reach the store's device later: a change is then
     *                        durable once a {@link #flush()} called after it completes, and the
     *                        caller must wait for that before acting on the change outside this
     *                        process (the key-service manager does, batching a thousand setups
     *                        into one sync); otherwise every call returns with its change durable
     */
    public AdmissionController(ReservationStore store, double admissibleFraction, boolean deferDurability) {
        this.store = Objects.requireNonNull(store, "store");
        this.deferDurability = deferDurability;
        checkFraction(admissibleFraction);
        this.admissibleFraction = admissibleFraction;
        for (Reservation r : store.loadAll()) {
            apply(null, r);
            nextSeq = Math.max(nextSeq, r.admittedSeq());
        }
    }

    /**
     * Reserves {@code rateBpsByLane} for a service, replacing its previous reservation (a modify)
     * atomically: the old rate counts as available to the new one.
     *
     * @param preempt whether lower-priority reservations may be displaced to make room
     */
    public AdmissionDecision reserve(String serviceId, int priority, Map<String, Long> rateBpsByLane, boolean preempt) {
        lock.lock();
        try {
            Reservation existing = reservations.get(serviceId);
            Reservation wanted = new Reservation(serviceId, priority, rateBpsByLane,
                    existing != null ? existing.admittedSeq() : nextSeq + 1);
            Map<String, Long> shortBy = new java.util.TreeMap<>();
            for (Map.Entry<String, Long> e : wanted.rateBpsByLane().entrySet()) {
                long free = admissible(e.getKey()) - reserved(e.getKey()) + rateOf(existing, e.getKey());
                if (e.getValue() > free) {
                    shortBy.put(e.getKey(), e.getValue() - free);
                }
            }
            List<Reservation> victims = new ArrayList<>();
            if (!shortBy.isEmpty()) {
                if (preempt) {
                    victims = victimsFor(shortBy, priority, serviceId);
                }
                if (victims == null || victims.isEmpty()) {
                    String lane = shortBy.keySet().iterator().next();
                    long requested = wanted.rateBpsByLane().get(lane);
                    return AdmissionDecision.refused(lane, requested, requested - shortBy.get(lane));
                }
            }
            for (Reservation v : victims) {
                persistRemove(v.serviceId());
                apply(v, null);
            }
            persistSave(wanted);
            apply(existing, wanted);
            if (existing == null) {
                nextSeq++;
            }
            return AdmissionDecision.admitted(victims);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lower-priority reservations whose release covers every shortfall, by the displacement rule;
     * null when even all of them would not.
     */
    private List<Reservation> victimsFor(Map<String, Long> shortBy, int priority, String serviceId) {
        Map<String, Long> missing = new HashMap<>(shortBy);
        List<Reservation> candidates = new ArrayList<>();
        for (Reservation r : reservations.values()) {
            if (r.priority() < priority && !r.serviceId().equals(serviceId)
                    && r.rateBpsByLane().keySet().stream().anyMatch(missing::containsKey)) {
                candidates.add(r);
            }
        }
        candidates.sort(DISPLACEMENT_ORDER);
        List<Reservation> victims = new ArrayList<>();
        for (Reservation r : candidates) {
            if (missing.values().stream().allMatch(v -> v <= 0)) {
                break;
            }
            boolean helps = r.rateBpsByLane().keySet().stream().anyMatch(l -> missing.getOrDefault(l, 0L) > 0);
            if (!helps) {
                continue;
            }
            victims.add(r);
            r.rateBpsByLane().forEach((l, bps) -> missing.computeIfPresent(l, (k, v) -> v - bps));
        }
        return missing.values().stream().allMatch(v -> v <= 0) ? victims : null;
    }

    /** Lowest priority first, then the most recently admitted. */
    static final Comparator<Reservation> DISPLACEMENT_ORDER = Comparator.comparingInt(Reservation::priority)
            .thenComparing(Comparator.comparingLong(Reservation::admittedSeq).reversed());

    /** Releases a service's reservation; false when it had none. */
    public boolean release(String serviceId) {
        lock.lock();
        try {
            Reservation existing = reservations.get(serviceId);
            if (existing == null) {
                return false;
            }
            persistRemove(serviceId);
            apply(existing, null);
            return true;
        } finally {
            lock.unlock();
        }
    }

    /**
     * A lane's measured key rate changed (0 when its link is down; half the link's SKR otherwise,
     * as the lanes share the link's key). Returns the reservations displaced to keep the lane
     * within its admissible rate, by the displacement rule; the caller reroutes or degrades those
     * services.
     */
    public List<Reservation> updateCapacity(String laneId, double keyRateBps) {
        if (!(keyRateBps >= 0) || Double.isInfinite(keyRateBps)) {
            throw new IllegalArgumentException("skr_bps: must be a finite non-negative number, got " + keyRateBps);
        }
        lock.lock();
        try {
            measuredKeyRateBps.put(laneId, (long) Math.floor(keyRateBps));
            return displaceOver(List.of(laneId));
        } finally {
            lock.unlock();
        }
    }

    /** Changes the admissible fraction of every lane; returns what that displaced. */
    public List<Reservation> setAdmissibleFraction(double fraction) {
        checkFraction(fraction);
        lock.lock();
        try {
            admissibleFraction = fraction;
            return displaceOver(new ArrayList<>(measuredKeyRateBps.keySet()));
        } finally {
            lock.unlock();
        }
    }

    private List<Reservation> displaceOver(List<String> lanes) {
        List<Reservation> displaced = new ArrayList<>();
        for (String lane : lanes) {
            if (reserved(lane) <= admissible(lane)) {
                continue;
            }
            // One scan and one sort per lane, not one scan per victim: a cut displaces thousands.
            List<Reservation> onLane = new ArrayList<>();
            for (Reservation r : reservations.values()) {
                if (r.rateBpsByLane().containsKey(lane)) {
                    onLane.add(r);
                }
            }
            onLane.sort(DISPLACEMENT_ORDER);
            for (Reservation victim : onLane) {
                if (reserved(lane) <= admissible(lane)) {
                    break;
                }
                persistRemove(victim.serviceId());
                apply(victim, null);
                displaced.add(victim);
            }
            if (reserved(lane) > admissible(lane)) {
                throw new IllegalStateException("lane " + lane + " reserved without reservations");
            }
        }
        return displaced;
    }

    private void persistSave(Reservation r) {
        if (deferDurability) {
            store.saveDeferred(r);
        } else {
            store.save(r);
        }
    }

    private void persistRemove(String serviceId) {
        if (deferDurability) {
            store.removeDeferred(serviceId);
        } else {
            store.remove(serviceId);
        }
    }

    /**
     * Completes once every change made before the call is durable (at once unless durability is
     * deferred); never blocks.
     */
    public CompletableFuture<Void> flush() {
        return deferDurability ? store.flush() : CompletableFuture.completedFuture(null);
    }

    /** Moves the per-lane sums from {@code before} to {@code after} (either may be null). */
    private void apply(Reservation before, Reservation after) {
        if (before != null) {
            before.rateBpsByLane().forEach((l, bps) -> reservedBps.merge(l, -bps, (a, b) -> a + b == 0 ? null : a + b));
            reservations.remove(before.serviceId());
        }
        if (after != null) {
            after.rateBpsByLane().forEach((l, bps) -> reservedBps.merge(l, bps, Long::sum));
            reservations.put(after.serviceId(), after);
        }
    }

    private long admissible(String lane) {
        Long rate = measuredKeyRateBps.get(lane);
        return rate == null ? 0 : (long) Math.floor(admissibleFraction * rate);
    }

    private long reserved(String lane) {
        return reservedBps.getOrDefault(lane, 0L);
    }

    private static long rateOf(Reservation r, String lane) {
        return r == null ? 0 : r.rateBpsByLane().getOrDefault(lane, 0L);
    }

    private static void checkFraction(double f) {
        if (!(f > 0 && f <= 1)) {
            throw new IllegalArgumentException("admissible_fraction: must be in (0, 1], got " + f);
        }
    }

    /** Every reservation, one consistent snapshot. */
    public List<Reservation> reservations() {
        lock.lock();
        try {
            return new ArrayList<>(reservations.values());
        } finally {
            lock.unlock();
        }
    }

    public Optional<Reservation> reservation(String serviceId) {
        lock.lock();
        try {
            return Optional.ofNullable(reservations.get(serviceId));
        } finally {
            lock.unlock();
        }
    }

    /** Admissible rate of a lane now, bit/s (0 before its first capacity update). */
    public long admissibleBps(String laneId) {
        lock.lock();
        try {
            return admissible(laneId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Admissible minus reserved rate of each lane (negative when a restored reservation exceeds a
     * lane not measured yet), indexed like {@code laneIds}: one consistent snapshot, one lock for
     * all lanes (the key-service planner asks for every lane on every request).
     */
    public long[] freeBps(String[] laneIds) {
        long[] out = new long[laneIds.length];
        lock.lock();
        try {
            for (int i = 0; i < laneIds.length; i++) {
                out[i] = admissible(laneIds[i]) - reserved(laneIds[i]);
            }
            return out;
        } finally {
            lock.unlock();
        }
    }

    public long reservedBps(String laneId) {
        lock.lock();
        try {
            return reserved(laneId);
        } finally {
            lock.unlock();
        }
    }

    /**
     * Lanes whose reservations exceed what is admitted, as one consistent snapshot (empty is the
     * invariant; restored reservations on lanes not yet measured are the one allowed exception,
     * listed here too so a caller can see them).
     */
    public Map<String, long[]> overbooked() {
        lock.lock();
        try {
            Map<String, long[]> out = new java.util.TreeMap<>();
            for (Map.Entry<String, Long> e : reservedBps.entrySet()) {
                long adm = admissible(e.getKey());
                if (e.getValue() > adm) {
                    out.put(e.getKey(), new long[] {e.getValue(), adm});
                }
            }
            return out;
        } finally {
            lock.unlock();
        }
    }
}

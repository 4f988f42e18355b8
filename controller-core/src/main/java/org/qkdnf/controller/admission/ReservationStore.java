package org.qkdnf.controller.admission;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;

/**
 * Where admitted reservations are kept so that they survive a controller restart. Calls are made
 * by {@link AdmissionController} under its lock, one at a time; a call returns once the change
 * is durable (for a durable store).
 */
public interface ReservationStore {

    /** Every reservation, as last saved. */
    Collection<Reservation> loadAll();

    /** Saves (or replaces) the reservation of its service. */
    void save(Reservation reservation);

    /** Forgets the reservation of a service; a no-op when there is none. */
    void remove(String serviceId);

    /**
     * Saves like {@link #save} but may return before the change is durable: it is durable once a
     * {@link #flush()} called after it completes. The default saves synchronously.
     */
    default void saveDeferred(Reservation reservation) {
        save(reservation);
    }

    /** Removes like {@link #remove}, durable after the next {@link #flush()}. */
    default void removeDeferred(String serviceId) {
        remove(serviceId);
    }

    /** Completes once every deferred change made before the call is durable; never blocks. */
    default CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }
}

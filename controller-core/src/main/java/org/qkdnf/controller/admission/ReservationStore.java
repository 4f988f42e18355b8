package org.qkdnf.controller.admission;

import java.util.Collection;

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
}

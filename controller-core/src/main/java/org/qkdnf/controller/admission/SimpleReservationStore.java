package org.qkdnf.controller.admission;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/** Reservations in memory only: for tests and hosts with their own durability. Thread-safe. */
public final class SimpleReservationStore implements ReservationStore {

    private final Map<String, Reservation> reservations = new ConcurrentHashMap<>();

    @Override
    public Collection<Reservation> loadAll() {
        return new ArrayList<>(reservations.values());
    }

    @Override
    public void save(Reservation reservation) {
        reservations.put(reservation.serviceId(), reservation);
    }

    @Override
    public void remove(String serviceId) {
        reservations.remove(serviceId);
    }
}

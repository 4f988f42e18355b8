package org.qkdnf.controller.app.keyservice;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.admission.ReservationStore;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Admitted reservations in the cluster's {@code qkdnf-controller-reservations} ConsistentMap, one
 * entry per service ({@code priority;admittedSeq;link=bps,link=bps}, as the standalone store), each
 * write committed by the cluster before it returns and fenced by the owner's term.
 *
 * <p>Threads: called by the AdmissionController under its lock.
 */
final class ClusterReservationStore implements ReservationStore {

    private static final Logger log = LoggerFactory.getLogger(ClusterReservationStore.class);

    private final FencedMap map;

    ClusterReservationStore(FencedMap map) {
        this.map = map;
    }

    @Override
    public Collection<Reservation> loadAll() {
        List<Reservation> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : map.entries().entrySet()) {
            String serviceId = e.getKey();
            try {
                out.add(decode(serviceId, e.getValue()));
            } catch (RuntimeException x) {
                // Kept out of admission: a reservation that cannot be read cannot be released either.
                log.error("reservation of service {}: stored record does not parse ({}); ignored", serviceId,
                        x.getMessage());
            }
        }
        return out;
    }

    @Override
    public void save(Reservation r) {
        map.put(r.serviceId(), encode(r));
    }

    @Override
    public void remove(String serviceId) {
        map.remove(serviceId);
    }

    static byte[] encode(Reservation r) {
        StringBuilder b = new StringBuilder().append(r.priority()).append(';').append(r.admittedSeq()).append(';');
        String sep = "";
        for (Map.Entry<String, Long> e : r.rateBpsByLane().entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = ",";
        }
        return b.toString().getBytes(StandardCharsets.UTF_8);
    }

    static Reservation decode(String serviceId, byte[] bytes) {
        String[] f = new String(bytes, StandardCharsets.UTF_8).split(";", 3);
        if (f.length != 3) {
            throw new IllegalArgumentException("expected priority;seq;links");
        }
        Map<String, Long> rates = new TreeMap<>();
        for (String kv : f[2].split(",")) {
            int eq = kv.lastIndexOf('=');
            rates.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
        return new Reservation(serviceId, Integer.parseInt(f[0]), rates, Long.parseLong(f[1]));
    }
}

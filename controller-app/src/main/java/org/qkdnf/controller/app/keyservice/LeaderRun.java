package org.qkdnf.controller.app.keyservice;

import java.time.Clock;
import java.util.Optional;

import org.onosproject.store.service.ConsistentMap;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.keyservice.KeyServiceManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One leadership term of this instance over the key services: the core's
 * {@link KeyServiceManager} and {@link AdmissionController}, built from the cluster's maps after
 * the owner fence was raised to this term, so it starts from everything any former leader
 * acknowledged, and fenced so that it cannot write once a later term owns the maps.
 *
 * <p>Threads: built and closed by the component's leadership thread; the manager is thread-safe.
 */
final class LeaderRun implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(LeaderRun.class);

    private final long term;
    private final AdmissionController admission;
    private final KeyServiceManager manager;

    private LeaderRun(long term, AdmissionController admission, KeyServiceManager manager) {
        this.term = term;
        this.admission = admission;
        this.manager = manager;
    }

    /**
     * Raises the fence to {@code term}, loads and starts; empty when a later term already owns the
     * key services (this instance's leadership ended before it could start).
     */
    static Optional<LeaderRun> start(long term, double admissibleFraction, ConsistentMap<String, byte[]> owner,
                                     ConsistentMap<String, byte[]> services, ConsistentMap<String, byte[]> reservations,
                                     QkdTopologyService topology, KeyManagementAdminService keyManagement) {
        OwnerFence fence = new OwnerFence(owner, term);
        if (!fence.claim()) {
            log.info("key services: term {} already superseded; not starting", term);
            return Optional.empty();
        }
        ClusterReservationStore reservationStore = new ClusterReservationStore(new FencedMap(reservations, fence));
        AdmissionController admission = new AdmissionController(reservationStore, admissibleFraction);
        KeyServiceManager manager = new KeyServiceManager(topology, admission, keyManagement,
                new ClusterKeyServiceStore(new FencedMap(services, fence)), Clock.systemUTC());
        // A former leader fenced off between reserving and saving its service leaves a reservation
        // without a service: nothing would ever release it.
        int orphans = 0;
        for (Reservation r : reservationStore.loadAll()) {
            if (manager.get(r.serviceId()).isEmpty()) {
                admission.release(r.serviceId());
                orphans++;
            }
        }
        manager.start();
        log.info("key services: leader for term {} with {} services, admissible fraction {}, {} orphan reservations released",
                term, manager.list().size(), admissibleFraction, orphans);
        return Optional.of(new LeaderRun(term, admission, manager));
    }

    long term() {
        return term;
    }

    KeyServiceManager manager() {
        return manager;
    }

    AdmissionController admission() {
        return admission;
    }

    @Override
    public void close() {
        manager.close();
        log.info("key services: term {} ended here", term);
    }
}

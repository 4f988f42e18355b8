package org.qkdnf.controller.app.keyservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.app.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.app.testing.TestTopology.node;
import static org.qkdnf.controller.app.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;

import java.time.Clock;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onosproject.cluster.NodeId;
import org.onosproject.store.service.ConsistentMap;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.app.store.StoreTestAccess;
import org.qkdnf.controller.app.testing.AckingKeyManagers;
import org.qkdnf.controller.app.testing.ClusterLeadership;
import org.qkdnf.controller.app.testing.ClusterMessaging;
import org.qkdnf.controller.app.testing.ClusterStorageService;
import org.qkdnf.controller.app.testing.TestClusterService;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleKeyManagementStore;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.Protection;

/**
 * Two ONOS instances sharing one storage, one leadership election and one messaging fabric (the
 * onos-api adapters): the leader runs the key services over the ConsistentMaps, the other forwards.
 * Topology: a square A-B-D, A-C-D at 10 kbit/s per link; 90 % admissible, so 9 kbit/s per link and
 * four 2 kbit/s services per side of the square.
 *
 * <p>Link performance is applied on both instances: performance stays on the instance whose agent
 * reported it (see the README's cluster notes), and this test is about admission, not about that.
 */
class KeyServiceClusterTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String C = "c0000000-0000-4000-8000-00000000000c";
    static final String D = "d0000000-0000-4000-8000-00000000000d";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String BD = "bd000000-0000-4000-8000-0000000000bd";
    static final String AC = "ac000000-0000-4000-8000-0000000000ac";
    static final String CD = "cd000000-0000-4000-8000-0000000000cd";
    static final List<String> LINKS = List.of(AB, BD, AC, CD);
    static final long ADMISSIBLE = 9_000;

    private final ClusterStorageService storage = new ClusterStorageService();
    private final ClusterLeadership leadership = new ClusterLeadership();
    private final ClusterMessaging messaging = new ClusterMessaging();
    private final List<Instance> instances = new ArrayList<>();

    /** One ONOS instance: topology store and manager, key management with its key managers, key services. */
    final class Instance {
        final NodeId id;
        final QkdTopologyStore store;
        final QkdTopologyManager topology;
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        final KeyManagementManager km;
        final AckingKeyManagers kms;
        final KeyServiceComponent services = new KeyServiceComponent();

        Instance(String name) throws Exception {
            id = new NodeId(name);
            TestClusterService cluster = new TestClusterService(name);
            store = StoreTestAccess.activated(storage, cluster);
            topology = new QkdTopologyManager(store);
            km = new KeyManagementManager(new SimpleKeyManagementStore(), scheduler, ControllerSettings::defaults,
                    Clock.systemUTC());
            kms = new AckingKeyManagers(km, List.of(A, B, C, D));
            services.storageService = storage;
            services.leadershipService = leadership.view(id);
            services.clusterService = cluster;
            services.communicationService = messaging.view(id);
            services.topology = topology;
            services.keyManagement = km;
        }

        void reportPerformance() {
            for (String l : LINKS) {
                topology.applyPerformance(topology.getLink(l).orElseThrow().nodeIdA(), perf(l, QKDL_STATUS_ACTIVE, 10_000, 0.01));
            }
        }

        void stop() {
            services.deactivate();
            kms.close();
            scheduler.shutdownNow();
            topology.close();
            StoreTestAccess.deactivate(store);
        }
    }

    @BeforeEach
    void setUp() throws Exception {
        Instance one = new Instance("instance-1");
        one.topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE), linkEnd(AC, A, C, QKDL_STATUS_ACTIVE)));
        one.topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE), linkEnd(BD, B, D, QKDL_STATUS_ACTIVE)));
        one.topology.applyInventory(node(C, linkEnd(AC, C, A, QKDL_STATUS_ACTIVE), linkEnd(CD, C, D, QKDL_STATUS_ACTIVE)));
        one.topology.applyInventory(node(D, linkEnd(BD, D, B, QKDL_STATUS_ACTIVE), linkEnd(CD, D, C, QKDL_STATUS_ACTIVE)));
        Instance two = new Instance("instance-2");
        instances.add(one);
        instances.add(two);
        for (Instance i : instances) {
            i.reportPerformance();
            i.services.activate();
        }
        leaderReady(one);
    }

    @AfterEach
    void tearDown() {
        instances.forEach(Instance::stop);
        messaging.close();
    }

    private void leaderReady(Instance i) throws InterruptedException {
        eventually(() -> i.services.leaderRun().map(r -> LINKS.stream()
                .allMatch(l -> r.admission().admissibleBps(l) == ADMISSIBLE)).orElse(false));
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    static KeyServiceSpec spec(long bps) {
        return KeyServiceSpec.newBuilder().setMasterSaeId("sae-alice").setMasterQkdnId(A)
                .setSlaveSaeId("sae-bob").setSlaveQkdnId(D)
                .setQos(AppQos.newBuilder().setMinBandwidthBps(bps).setPriority(1))
                .setProtection(Protection.PROTECTION_RESTORATION).build();
    }

    private static Status statusOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
            return Status.OK;
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
    }

    /** Per link, the rate all reservations in the cluster's map hold. */
    private Map<String, Long> reservedInTheCluster() {
        ConsistentMap<String, byte[]> m = storage.map(KeyServiceComponent.RESERVATIONS_MAP);
        Map<String, Long> sums = new HashMap<>();
        m.entrySet().forEach(e -> ClusterReservationStore.decode(e.getKey(), e.getValue().value())
                .rateBpsByLink().forEach((l, bps) -> sums.merge(l, bps, Long::sum)));
        return sums;
    }

    /** Fires {@code perInstance} creates at every instance at once; returns how many were admitted. */
    private int createConcurrently(int perInstance, long bps) throws Exception {
        List<CompletableFuture<KeyService>> futures = new ArrayList<>();
        for (int n = 0; n < perInstance; n++) {
            for (Instance i : instances) {
                futures.add(i.services.create(spec(bps)));
            }
        }
        int admitted = 0;
        for (CompletableFuture<KeyService> f : futures) {
            Status s = statusOf(f);
            assertThat(s.getCode()).as("%s", s).isIn(Status.Code.OK, Status.Code.RESOURCE_EXHAUSTED);
            admitted += s.isOk() ? 1 : 0;
        }
        return admitted;
    }

    private void assertNotOverbooked() {
        reservedInTheCluster().forEach((l, bps) -> assertThat(bps).as("reserved on %s", l).isLessThanOrEqualTo(ADMISSIBLE));
    }

    @Test
    void concurrentCreatesOnBothInstancesNeverOverbookALink() throws Exception {
        int admitted = createConcurrently(10, 2_000);

        assertThat(admitted).isEqualTo(8);
        assertNotOverbooked();
        for (Instance i : instances) {
            assertThat(i.services.list()).hasSize(8).allSatisfy(s ->
                    assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
        }
        assertThat(instances.get(0).services.leader()).contains("instance-1");
    }

    @Test
    void servicesAndReservationsSurviveALeaderChange() throws Exception {
        Instance one = instances.get(0);
        Instance two = instances.get(1);
        List<String> created = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            created.add(two.services.create(spec(2_000)).get(20, TimeUnit.SECONDS).getServiceId());
        }

        leadership.transfer(KeyServiceComponent.TOPIC, two.id);
        leaderReady(two);
        eventually(() -> one.services.leaderRun().isEmpty());

        LeaderRun run = two.services.leaderRun().orElseThrow();
        for (String id : created) {
            assertThat(run.manager().get(id)).as(id).hasValueSatisfying(s ->
                    assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
            assertThat(run.admission().reservation(id)).as(id).map(Reservation::rateBpsByLink)
                    .hasValueSatisfying(r -> assertThat(r.values()).containsOnly(2_000L));
        }
        // The new leader admits only what is left: five more, from either instance.
        assertThat(createConcurrently(5, 2_000)).isEqualTo(5);
        assertNotOverbooked();
        assertThat(one.services.list()).hasSize(8);
        one.services.delete(created.get(0)).get(20, TimeUnit.SECONDS);
        assertThat(two.services.list()).hasSize(7);
    }

    @Test
    void aFormerLeaderThatMissedItsDemotionCannotWrite() throws Exception {
        Instance one = instances.get(0);
        Instance two = instances.get(1);
        one.services.create(spec(2_000)).get(20, TimeUnit.SECONDS);
        leadership.deafen(one.id);
        leadership.transfer(KeyServiceComponent.TOPIC, two.id);
        leaderReady(two);
        assertThat(one.services.leaderRun()).as("instance-1 still believes it leads").isPresent();

        Status stale = statusOf(one.services.create(spec(2_000)));

        assertThat(stale.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(stale.getDescription()).contains("new leader");
        assertThat(storage.<String, byte[]>map(KeyServiceComponent.SERVICES_MAP).size()).isEqualTo(1);
        assertThat(storage.<String, byte[]>map(KeyServiceComponent.RESERVATIONS_MAP).size()).isEqualTo(1);
        leadership.hear(one.id, KeyServiceComponent.TOPIC);
        eventually(() -> one.services.leaderRun().isEmpty());
        assertThat(createConcurrently(4, 2_000)).as("eight fit, one was there").isEqualTo(7);
        assertNotOverbooked();
    }

    @Test
    void badInputIsRefusedNamingTheFieldThroughTheForwarder() throws Exception {
        Status s = statusOf(instances.get(1).services.create(spec(0)));

        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("spec.qos.min_bandwidth_bps");
        Status notFound = statusOf(instances.get(1).services.delete("00000000-0000-4000-8000-000000000000"));
        assertThat(notFound.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
}

package org.qkdnf.controller.keyservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;

import java.time.Clock;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.admission.SimpleReservationStore;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleKeyManagementStore;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * The planner on the real topology manager and admission controller, without the key-service
 * manager's topology listener: what it plans when no topology event reached its planning graph.
 */
class RoutePlannerTest {

    static final String A = KeyServiceManagerTest.A;
    static final String B = KeyServiceManagerTest.B;
    static final String F = "f0000000-0000-4000-8000-00000000000f";
    static final String AB = KeyServiceManagerTest.AB;
    static final String BF = "bf000000-0000-4000-8000-0000000000bf";

    private QkdTopologyManager topology;
    private AdmissionController admission;
    private ScheduledExecutorService scheduler;
    private RoutePlanner planner;

    @BeforeEach
    void setUp() {
        topology = new QkdTopologyManager(new SimpleQkdTopologyStore());
        admission = new AdmissionController(new SimpleReservationStore(), 1.0);
        scheduler = Executors.newSingleThreadScheduledExecutor();
        KeyManagementManager km = new KeyManagementManager(new SimpleKeyManagementStore(), scheduler,
                ControllerSettings::defaults, Clock.systemUTC());
        planner = new RoutePlanner(topology, admission, new PoolLevels(km, System::currentTimeMillis));
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE)));
        addCapacity(AB, A, B);
    }

    @AfterEach
    void tearDown() {
        scheduler.shutdownNow();
        topology.close();
    }

    /** SKR 10 kbit/s on {@code link} as {@code a} reports it; each lane (direction) gets half. */
    private void addCapacity(String link, String a, String b) {
        topology.applyPerformance(a, perf(link, QKDL_STATUS_ACTIVE, 10_000, 0.01));
        admission.updateCapacity(LaneIds.of(link, a), 5_000);
        admission.updateCapacity(LaneIds.of(link, b), 5_000);
    }

    /**
     * A node added after the planning graph was built, whose event has not reached the planner
     * (here: never will), is still planned to: the planner looks at the topology again when the
     * graph lacks an end of the request, instead of failing on an unknown node.
     */
    @Test
    void aNodeWhoseEventHasNotArrivedIsStillRoutedTo() {
        assertThat(planner.plan(KeyServiceManagerTest.spec(A, B, 1_000,
                org.qkdnf.proto.northbound.v1.Protection.PROTECTION_NONE), "")).hasSize(1);

        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE), linkEnd(BF, B, F, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(F, linkEnd(BF, F, B, QKDL_STATUS_ACTIVE)));
        addCapacity(BF, B, F);

        List<ServiceRoute> routes = planner.plan(KeyServiceManagerTest.spec(A, F, 1_000,
                org.qkdnf.proto.northbound.v1.Protection.PROTECTION_NONE), "");
        assertThat(routes).hasSize(1);
        assertThat(routes.get(0).getQkdnIdsList()).containsExactly(A, B, F);
    }
}

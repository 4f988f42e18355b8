package org.qkdnf.controller.app.keyservice;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onosproject.store.service.ConsistentMap;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceState;

/**
 * Two ONOS instances of a {@link KeyServiceCluster}: the leader runs the key services over the
 * ConsistentMaps, the other forwards. Four 2 kbit/s services fit on each side of the square.
 */
class KeyServiceClusterTest {

    /** What a link admits at fraction 0.5: two 2 kbit/s services per side. */
    /** Admissible per direction at a fraction of 0.5: half of each lane's half of the SKR. */
    private static final long HALF = KeyServiceCluster.SKR_BPS / 4;

    private KeyServiceCluster cluster;
    private List<KeyServiceCluster.Instance> instances;

    @BeforeEach
    void setUp() throws Exception {
        cluster = KeyServiceCluster.start(2);
        instances = cluster.instances();
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    private static Status statusOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(20, TimeUnit.SECONDS);
            return Status.OK;
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
    }

    /** Per lane, the rate all reservations in the cluster's map hold. */
    private Map<String, Long> reservedInTheCluster() {
        ConsistentMap<String, byte[]> m = cluster.storage.map(KeyServiceComponent.RESERVATIONS_MAP);
        Map<String, Long> sums = new HashMap<>();
        m.entrySet().forEach(e -> ClusterReservationStore.decode(e.getKey(), e.getValue().value())
                .rateBpsByLane().forEach((l, bps) -> sums.merge(l, bps, Long::sum)));
        return sums;
    }

    /** Fires {@code perInstance} creates at every instance at once; returns how many were admitted. */
    private int createConcurrently(int perInstance, long bps) throws Exception {
        List<CompletableFuture<KeyService>> futures = new ArrayList<>();
        for (int n = 0; n < perInstance; n++) {
            for (KeyServiceCluster.Instance i : instances) {
                futures.add(i.services.create(KeyServiceCluster.spec(bps)));
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
        reservedInTheCluster().forEach((l, bps) ->
                assertThat(bps).as("reserved on %s", l).isLessThanOrEqualTo(KeyServiceCluster.ADMISSIBLE));
    }

    @Test
    void concurrentCreatesOnBothInstancesNeverOverbookALink() throws Exception {
        int admitted = createConcurrently(10, 2_000);

        assertThat(admitted).isEqualTo(8);
        assertNotOverbooked();
        for (KeyServiceCluster.Instance i : instances) {
            assertThat(i.services.list()).hasSize(8).allSatisfy(s ->
                    assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
        }
        assertThat(instances.get(0).services.leader()).contains("instance-1");
    }

    /**
     * A new admissible fraction reaches the leader's running manager (same term, same manager, no
     * UNAVAILABLE window): what no longer fits is displaced, the rest keeps its reservations.
     */
    @Test
    void aNewAdmissibleFractionIsAppliedWithoutRebuildingTheLeader() throws Exception {
        KeyServiceCluster.Instance one = instances.get(0);
        for (int n = 0; n < 8; n++) {
            instances.get(n % 2).services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        }
        LeaderRun before = one.services.leaderRun().orElseThrow();

        one.services.setAdmissibleFraction(0.5);

        KeyServiceCluster.eventually(() -> KeyServiceCluster.LANES.stream()
                .allMatch(l -> before.admission().admissibleBps(l) == HALF));
        KeyServiceCluster.eventually(() -> before.manager().list().stream()
                .filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED).count() == 4);
        assertThat(one.services.leaderRun()).containsSame(before);
        reservedInTheCluster().forEach((l, bps) -> assertThat(bps).as("reserved on %s", l).isLessThanOrEqualTo(HALF));
        // Forwarded from the follower and answered by the same manager.
        assertThat(statusOf(instances.get(1).services.create(KeyServiceCluster.spec(400))).getCode())
                .isEqualTo(Status.Code.OK);
    }

    @Test
    void servicesAndReservationsSurviveALeaderChange() throws Exception {
        KeyServiceCluster.Instance one = instances.get(0);
        KeyServiceCluster.Instance two = instances.get(1);
        List<String> created = new ArrayList<>();
        for (int n = 0; n < 3; n++) {
            created.add(two.services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS).getServiceId());
        }

        cluster.leadership.transfer(KeyServiceComponent.TOPIC, two.id);
        two.leaderReady();
        KeyServiceCluster.eventually(() -> one.services.leaderRun().isEmpty());

        LeaderRun run = two.services.leaderRun().orElseThrow();
        for (String id : created) {
            assertThat(run.manager().get(id)).as(id).hasValueSatisfying(s ->
                    assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
            assertThat(run.admission().reservation(id)).as(id).map(Reservation::rateBpsByLane)
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
    void servicesAndReservationsSurviveTheWholeClusterStopping() throws Exception {
        KeyServiceCluster.Instance one = instances.get(0);
        KeyServiceCluster.Instance two = instances.get(1);
        List<String> created = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            created.add(two.services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS).getServiceId());
        }
        Map<String, Long> reserved = reservedInTheCluster();

        two.stopKeyServices();
        one.stopKeyServices();
        one.startKeyServices();
        one.leaderReady();

        LeaderRun run = one.services.leaderRun().orElseThrow();
        for (String id : created) {
            assertThat(run.manager().get(id)).as(id).hasValueSatisfying(s ->
                    assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
        }
        reserved.forEach((l, bps) -> assertThat(run.admission().reservedBps(l)).as(l).isEqualTo(bps));
        two.startKeyServices();
        assertThat(createConcurrently(4, 2_000)).as("eight fit, four were there").isEqualTo(4);
        assertNotOverbooked();
    }

    @Test
    void aFormerLeaderThatMissedItsDemotionCannotWrite() throws Exception {
        KeyServiceCluster.Instance one = instances.get(0);
        KeyServiceCluster.Instance two = instances.get(1);
        one.services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        cluster.leadership.deafen(one.id);
        cluster.leadership.transfer(KeyServiceComponent.TOPIC, two.id);
        two.leaderReady();
        assertThat(one.services.leaderRun()).as("instance-1 still believes it leads").isPresent();

        Status stale = statusOf(one.services.create(KeyServiceCluster.spec(2_000)));

        assertThat(stale.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(stale.getDescription()).contains("new leader");
        assertThat(cluster.storage.<String, byte[]>map(KeyServiceComponent.SERVICES_MAP).size()).isEqualTo(1);
        assertThat(cluster.storage.<String, byte[]>map(KeyServiceComponent.RESERVATIONS_MAP).size()).isEqualTo(1);
        cluster.leadership.hear(one.id, KeyServiceComponent.TOPIC);
        KeyServiceCluster.eventually(() -> one.services.leaderRun().isEmpty());
        assertThat(createConcurrently(4, 2_000)).as("eight fit, one was there").isEqualTo(7);
        assertNotOverbooked();
    }

    @Test
    void figuresReportedToAFollowerReachTheLeadersAdmission() throws Exception {
        cluster.close();
        cluster = KeyServiceCluster.start(2, 1);
        instances = cluster.instances();

        assertThat(instances.get(0).services.leaderRun().orElseThrow().admission()
                .admissibleBps(LaneIds.of(KeyServiceCluster.AB, KeyServiceCluster.A)))
                .as("the leader admits on a link whose agent reports to the other instance")
                .isEqualTo(KeyServiceCluster.ADMISSIBLE);
        assertThat(instances.get(0).topology.getLink(KeyServiceCluster.AB).orElseThrow().hasPerformance())
                .as("the leader's own topology has no figures for it").isFalse();
        assertThat(createConcurrently(5, 2_000)).isEqualTo(8);
        assertNotOverbooked();
    }

    @Test
    void badInputIsRefusedNamingTheFieldThroughTheForwarder() throws Exception {
        Status s = statusOf(instances.get(1).services.create(KeyServiceCluster.spec(0)));

        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).contains("spec.qos.min_bandwidth_bps");
        Status notFound = statusOf(instances.get(1).services.delete("00000000-0000-4000-8000-000000000000"));
        assertThat(notFound.getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }
}

package org.qkdnf.controller.app.keyservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.A;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.B;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.C;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.D;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.controller.app.testing.AckingKeyManagers;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * Two instances; every key manager's Sk stream ends at the follower, so the leader's key-service
 * manager installs and removes routes through the follower (ClusterKeyManagers over the onos-api
 * messaging adapter), and the key managers' acknowledgements come back to it; a key manager
 * connected nowhere is named in the refusal.
 */
class SkAcrossInstancesTest {

    private KeyServiceCluster cluster;
    private KeyServiceCluster.Instance leader;
    private KeyServiceCluster.Instance follower;

    @BeforeEach
    void setUp() throws Exception {
        cluster = KeyServiceCluster.start(2, -1, 1);
        leader = cluster.instance(0);
        follower = cluster.instance(1);
    }

    @AfterEach
    void tearDown() {
        cluster.close();
    }

    @Test
    void theLeaderInstallsARouteThroughKeyManagersConnectedToTheFollower() throws Exception {
        assertThat(leader.km.isConnected(A)).as("no key manager connected to the leader").isFalse();

        KeyService s = leader.services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);

        assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        ServiceRoute route = s.getRoutes(0);
        assertThat(route.getInstalled()).isTrue();
        assertThat(route.getQkdnIdsList()).startsWith(A).endsWith(D);
        List<String> expected = new ArrayList<>();
        route.getQkdnIdsList().forEach(n -> expected.add(n + " " + route.getRouteId()));
        assertThat(follower.kms.installs()).as("every key manager on the route got the install")
                .containsExactlyInAnyOrderElementsOf(expected);
        assertThat(leader.km.getKeyRoute(route.getRouteId())).map(KeyRouteEntry::getState)
                .as("acknowledged by all, back on the leader").contains(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
        assertThat(follower.km.getKeyRoutes()).as("the follower lists the cluster's routes, not its start-up copy")
                .extracting(e -> e.getRoute().getServiceId()).contains(route.getRouteId());
    }

    @Test
    void theLeaderRemovesItThroughTheFollowerToo() throws Exception {
        KeyService s = leader.services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        String routeId = s.getRoutes(0).getRouteId();

        follower.services.delete(s.getServiceId()).get(20, TimeUnit.SECONDS);

        assertThat(leader.km.getKeyRoute(routeId)).as("every key manager acknowledged the removal").isEmpty();
    }

    @Test
    void aKeyManagerConnectedNowhereIsNamedInTheRefusal() throws Exception {
        follower.kms.close();
        KeyServiceCluster.eventually(() -> !follower.km.isConnected(A));

        CompletableFuture<KeyService> create = leader.services.create(KeyServiceCluster.spec(2_000));

        assertThatThrownBy(() -> create.get(20, TimeUnit.SECONDS)).hasCauseInstanceOf(StatusRuntimeException.class)
                .cause().satisfies(e -> {
                    Status st = Status.fromThrowable(e);
                    assertThat(st.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                    assertThat(st.getDescription()).contains("key manager of node").contains("is not connected");
                });
    }

    /**
     * The follower loaded the (empty) route table at start; the leader installed and removed routes
     * since. A key manager reconnecting to the follower gets the routes the cluster's map holds now:
     * the living one, not the removed one.
     */
    @Test
    void aKeyManagerReconnectingToTheFollowerGetsTheClustersRoutesNotRemovedOnes() throws Exception {
        KeyService kept = leader.services.create(KeyServiceCluster.spec(1_000)).get(20, TimeUnit.SECONDS);
        KeyService gone = leader.services.create(KeyServiceCluster.spec(1_000)).get(20, TimeUnit.SECONDS);
        String goneRoute = gone.getRoutes(0).getRouteId();
        leader.services.delete(gone.getServiceId()).get(20, TimeUnit.SECONDS);
        follower.kms.close();
        KeyServiceCluster.eventually(() -> !follower.km.isConnected(A));

        try (AckingKeyManagers again = new AckingKeyManagers(follower.km, List.of(A, B, C, D))) {
            ServiceRoute route = kept.getRoutes(0);
            List<String> expected = new ArrayList<>();
            route.getQkdnIdsList().forEach(n -> expected.add(n + " " + route.getRouteId()));
            KeyServiceCluster.eventually(() -> again.installs().containsAll(expected));
            assertThat(again.installs()).as("a removed route is not installed again").noneMatch(i -> i.endsWith(goneRoute));
        }
    }

    /**
     * A removal the leader sent while the key managers were connected nowhere stays REMOVING; when
     * they reconnect to the follower, the leader sends it again and clears the record.
     */
    @Test
    void aRemovalLeftPendingIsCompletedWhenTheKeyManagersReconnectToTheFollower() throws Exception {
        KeyService s = leader.services.create(KeyServiceCluster.spec(1_000)).get(20, TimeUnit.SECONDS);
        String routeId = s.getRoutes(0).getRouteId();
        follower.kms.close();
        KeyServiceCluster.eventually(() -> s.getRoutes(0).getQkdnIdsList().stream().noneMatch(follower.km::isConnected));

        leader.services.delete(s.getServiceId()).get(20, TimeUnit.SECONDS);
        assertThat(leader.km.getKeyRoute(routeId)).map(KeyRouteEntry::getState)
                .contains(KeyRouteState.KEY_ROUTE_STATE_REMOVING);

        try (AckingKeyManagers again = new AckingKeyManagers(follower.km, List.of(A, B, C, D))) {
            KeyServiceCluster.eventually(() -> leader.km.getKeyRoute(routeId).isEmpty());
        }
    }
}

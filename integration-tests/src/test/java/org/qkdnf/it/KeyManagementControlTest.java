package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.keymgmt.v1.GetKmTopologyRequest;
import org.qkdnf.proto.keymgmt.v1.GetKmTopologyResponse;
import org.qkdnf.proto.keymgmt.v1.InstallKeyRouteRequest;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteAdminServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.ListKeyRoutesRequest;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;
import org.qkdnf.proto.keymgmt.v1.RemoveKeyRouteRequest;

/**
 * Sk end to end over mTLS: key managers register with the standalone controller and report their
 * pools filling; an operator pins a key route through the controller's KeyRouteAdmin northbound;
 * the SAEs then get identical keys over ETSI GS QKD 014; the route survives a controller restart
 * (and is re-sent to a key manager that lost it); its removal makes every key manager forget it.
 */
class KeyManagementControlTest {

    @TempDir
    Path dir;

    @Test
    void pinnedRouteThroughTheControllerDeliversKeyAndSurvivesARestart() throws Exception {
        try (KeyChain chain = new KeyChain(dir, 3)) {
            chain.connectKeyManagersToController(Duration.ofMillis(200));
            ManagedChannel admin = NettyChannelBuilder.forTarget("127.0.0.1:" + chain.controller.sqPort(),
                    GrpcTls.channelCredentials(chain.issue("operator-tool", Role.CONTROLLER))).build();
            ManagedChannel impostor = NettyChannelBuilder.forTarget("127.0.0.1:" + chain.controller.sqPort(),
                    GrpcTls.channelCredentials(chain.kmsTls.get(0))).build();
            StandaloneController restarted = null;
            try {
                var routes = KeyRouteAdminServiceGrpc.newBlockingStub(admin);

                // The controller sees the three key managers and both links' lanes filling at both ends.
                Await.until(Duration.ofSeconds(30), () -> {
                    GetKmTopologyResponse t = routes.getKmTopology(GetKmTopologyRequest.getDefaultInstance());
                    return t.getKmNodesCount() == 3 && t.getKmNodesList().stream().allMatch(n -> n.getConnected())
                            && t.getKmLinksCount() == 2 && t.getKmLinksList().stream().allMatch(
                                    l -> filled(l.getLevelsAList()) && filled(l.getLevelsBList()));
                });
                for (KmLinkState l : chain.controller.keyManagementService().getKmLinks()) {
                    assertThat(chain.links).contains(l.getQkdlId());
                    assertThat(List.of(l.getQkdnIdA(), l.getQkdnIdB())).allMatch(chain.nodes::contains);
                }

                assertThatThrownBy(() -> KeyRouteAdminServiceGrpc.newBlockingStub(impostor)
                        .listKeyRoutes(ListKeyRoutesRequest.getDefaultInstance()))
                        .as("a key manager's certificate may not pin routes")
                        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode())
                                .isEqualTo(Status.Code.PERMISSION_DENIED));

                // A pinned route, installed through the northbound.
                UUID serviceId = UUID.randomUUID();
                KeyRoute route = KeyRoute.newBuilder().setServiceId(serviceId.toString()).setMasterSaeId("sae-alice")
                        .setSlaveSaeId("sae-bob").addAllRouteQkdnIds(chain.nodes).addAllRouteQkdlIds(chain.links)
                        .setRateBps(4096).setBufferBits(1L << 16).build();
                var installed = routes.withDeadlineAfter(30, TimeUnit.SECONDS)
                        .installKeyRoute(InstallKeyRouteRequest.newBuilder().setRoute(route).build());
                assertThat(installed.getEntry().getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
                KeyServiceDefinition expected = new KeyServiceDefinition(serviceId, "sae-alice", "sae-bob",
                        chain.nodes, chain.links, 1L << 16);
                for (KmsAgent k : chain.kms) {
                    assertThat(k.services().services()).contains(expected);
                }
                assertThatThrownBy(() -> routes.installKeyRoute(InstallKeyRouteRequest.newBuilder()
                        .setRoute(route.toBuilder().setBufferBits(12)).build()))
                        .satisfies(e -> {
                            Status s = Status.fromThrowable(e);
                            assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                            assertThat(s.getDescription()).startsWith("route.buffer_bits");
                        });

                Sae.assertAliceAndBobShareKeys(chain, 5);

                // Controller restart: the route is durable; a key manager that lost it gets it again.
                int port = chain.controller.sqPort();
                chain.controller.close();
                assertThat(chain.kms[1].services().remove(serviceId)).isTrue();
                restarted = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1")
                        .sqPort(port).tls(chain.issue("controller", Role.CONTROLLER))
                        .dataDir(dir.resolve("controller")).build());
                KeyManagementService km = restarted.keyManagementService();
                assertThat(km.getKeyRoute(serviceId.toString())).get()
                        .satisfies(e -> assertThat(e.getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED));
                assertThat(km.getKmNodes()).hasSize(3);
                Await.until(Duration.ofSeconds(30), () -> chain.kms[1].services().services().contains(expected)
                        && km.getKmNodes().stream().allMatch(n -> n.getConnected()));
                Sae.assertAliceAndBobShareKeys(chain, 3);

                // Removal through the northbound: every key manager forgets the service.
                routes.withDeadlineAfter(30, TimeUnit.SECONDS).removeKeyRoute(RemoveKeyRouteRequest.newBuilder()
                        .setServiceId(serviceId.toString()).build());
                for (KmsAgent k : chain.kms) {
                    assertThat(k.services().services()).extracting(KeyServiceDefinition::serviceId)
                            .doesNotContain(serviceId);
                }
                assertThat(routes.listKeyRoutes(ListKeyRoutesRequest.getDefaultInstance()).getEntriesCount()).isZero();
                assertThatThrownBy(() -> routes.removeKeyRoute(RemoveKeyRouteRequest.newBuilder()
                        .setServiceId(serviceId.toString()).build()))
                        .isInstanceOfSatisfying(StatusRuntimeException.class,
                                e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.NOT_FOUND));
            } finally {
                admin.shutdownNow();
                impostor.shutdownNow();
                if (restarted != null) {
                    restarted.close();
                }
            }
        }
    }

    private static boolean filled(List<PoolLevel> lanes) {
        return lanes.size() == 2 && lanes.stream().allMatch(p -> p.getAvailableBits() > 0);
    }
}

package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Iterator;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import io.grpc.Context;
import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ListKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.QueryPathsRequest;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.northbound.v1.WatchKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.WatchKeyServicesResponse;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.ModifyLinkCommand;

/**
 * Nc end to end over mTLS: a key service between two SAEs is asked for with no route; the
 * controller computes the route over the chain, admits its rate, installs it into every key
 * manager over Sk; the SAEs get identical keys over ETSI GS QKD 014; deleting the service leaves
 * nothing reserved at the controller and no service in any key manager. A controller restart in
 * between brings the service, its reservation and its route back as they were.
 */
class KeyServiceOrchestrationTest {

    static final long RATE_BPS = 2_048;

    @TempDir
    Path dir;

    @Test
    void controllerRoutedServiceDeliversKeyAndDeleteLeavesNothing() throws Exception {
        try (KeyChain chain = new KeyChain(dir, 3)) {
            chain.connectKeyManagersToController(Duration.ofMillis(200));
            ManagedChannel nc = NettyChannelBuilder.forTarget("127.0.0.1:" + chain.controller.sqPort(),
                    GrpcTls.channelCredentials(chain.issue("operator-tool", Role.CONTROLLER))).build();
            Context.CancellableContext watchContext = Context.current().withCancellation();
            StandaloneController restarted = null;
            try {
                var services = KeyServiceServiceGrpc.newBlockingStub(nc);
                var admission = chain.controller.admissionController();
                // Key managers registered, links measured and admitted.
                Await.until(Duration.ofSeconds(30), () -> chain.controller.keyManagementService().getKmNodes().size() == 3
                        && chain.controller.keyManagementService().getKmNodes().stream().allMatch(n -> n.getConnected())
                        && chain.lanes().stream().allMatch(l -> admission.admissibleBps(l) > 4 * RATE_BPS));
                Iterator<WatchKeyServicesResponse> watch = watchContext.call(() -> KeyServiceServiceGrpc
                        .newBlockingStub(nc).watchKeyServices(WatchKeyServicesRequest.getDefaultInstance()));

                KeyServiceSpec spec = KeyServiceSpec.newBuilder()
                        .setMasterSaeId("sae-alice").setMasterQkdnId(chain.nodes.get(0))
                        .setSlaveSaeId("sae-bob").setSlaveQkdnId(chain.nodes.get(2))
                        .setQos(AppQos.newBuilder().setMinBandwidthBps(RATE_BPS).setPriority(3))
                        .setProtection(Protection.PROTECTION_RESTORATION).build();
                List<ServiceRoute> query = services.queryPaths(QueryPathsRequest.newBuilder().setSpec(spec).build())
                        .getRoutesList();
                assertThat(query).hasSize(1);
                assertThat(query.get(0).getQkdnIdsList()).isEqualTo(chain.nodes);
                assertThat(chain.lanes()).allMatch(l -> admission.reservedBps(l) == 0);

                KeyService created = services.withDeadlineAfter(30, TimeUnit.SECONDS)
                        .createKeyService(CreateKeyServiceRequest.newBuilder().setSpec(spec).build()).getService();
                assertThat(created.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
                ServiceRoute route = created.getRoutes(0);
                assertThat(route.getQkdnIdsList()).isEqualTo(chain.nodes);
                assertThat(route.getQkdlIdsList()).isEqualTo(chain.links);
                assertThat(route.getInstalled()).isTrue();
                assertThat(chain.forwardLanes()).allMatch(l -> admission.reservedBps(l) == RATE_BPS);
                KeyServiceDefinition expected = new KeyServiceDefinition(UUID.fromString(route.getRouteId()),
                        "sae-alice", "sae-bob", chain.nodes, chain.links, 65_536);
                for (KmsAgent k : chain.kms) {
                    assertThat(k.services().services()).contains(expected);
                }
                WatchKeyServicesResponse seen = watch.next();
                assertThat(seen.getService().getServiceId()).isEqualTo(created.getServiceId());
                assertThat(seen.getService().getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);

                Sae.assertAliceAndBobShareKeys(chain, 5);
                watchContext.cancel(null);

                // Controller restart: the service, its reservation and its route come back as they were.
                int port = chain.controller.sqPort();
                chain.controller.close();
                restarted = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1")
                        .sqPort(port).tls(chain.issue("controller", Role.CONTROLLER))
                        .dataDir(dir.resolve("controller")).build());
                var restoredAdmission = restarted.admissionController();
                assertThat(restarted.keyServiceManager().get(created.getServiceId())).contains(created);
                assertThat(chain.forwardLanes()).allMatch(l -> restoredAdmission.reservedBps(l) == RATE_BPS);
                StandaloneController r = restarted;
                Await.until(Duration.ofSeconds(30), () -> r.keyManagementService().getKmNodes().stream()
                        .allMatch(n -> n.getConnected()) && chain.links.stream().allMatch(l -> r.topologyService()
                        .getLink(l).map(x -> x.hasPerformance()).orElse(false)));
                assertThat(restarted.keyServiceManager().get(created.getServiceId())).contains(created);
                Sae.assertAliceAndBobShareKeys(chain, 3);
                Context.CancellableContext watch2 = Context.current().withCancellation();
                watchContext = watch2;
                watch = watch2.call(() -> KeyServiceServiceGrpc.newBlockingStub(nc)
                        .watchKeyServices(WatchKeyServicesRequest.getDefaultInstance()));
                assertThat(watch.next().getService()).isEqualTo(created);

                services.withDeadlineAfter(30, TimeUnit.SECONDS).deleteKeyService(DeleteKeyServiceRequest.newBuilder()
                        .setServiceId(created.getServiceId()).build());
                assertThat(chain.lanes()).allMatch(l -> restoredAdmission.reservedBps(l) == 0);
                assertThat(restoredAdmission.reservation(created.getServiceId())).isEmpty();
                for (KmsAgent k : chain.kms) {
                    assertThat(k.services().services()).isEmpty();
                }
                assertThat(restarted.keyManagementService().getKeyRoutes()).isEmpty();
                assertThat(services.listKeyServices(ListKeyServicesRequest.getDefaultInstance()).getServicesCount())
                        .isZero();
                WatchKeyServicesResponse removed = watch.next();
                assertThat(removed.getRemoved()).isTrue();
                assertThat(removed.getService().getServiceId()).isEqualTo(created.getServiceId());
            } finally {
                watchContext.cancel(null);
                nc.shutdownNow();
                if (restarted != null) {
                    restarted.close();
                }
            }
        }
    }

    /**
     * Recovery on the real system: the middle node's agent disables a link of the service's route
     * (Sq ModifyLink); with no other route the service goes DEGRADED, its route leaves every key
     * manager and its reservation is released; when the link is enabled again the service is
     * restored on a new route and the SAEs again get identical keys.
     */
    @Test
    void linkLossDegradesAndRepairRestores() throws Exception {
        try (KeyChain chain = new KeyChain(dir, 3)) {
            chain.connectKeyManagersToController(Duration.ofMillis(200));
            var admission = chain.controller.admissionController();
            var manager = chain.controller.keyServiceManager();
            Await.until(Duration.ofSeconds(30), () -> chain.controller.keyManagementService().getKmNodes().size() == 3
                    && chain.controller.keyManagementService().getKmNodes().stream().allMatch(n -> n.getConnected())
                    && chain.lanes().stream().allMatch(l -> admission.admissibleBps(l) > 4 * RATE_BPS));
            KeyService created = manager.create(KeyServiceSpec.newBuilder()
                    .setMasterSaeId("sae-alice").setMasterQkdnId(chain.nodes.get(0))
                    .setSlaveSaeId("sae-bob").setSlaveQkdnId(chain.nodes.get(2))
                    .setQos(AppQos.newBuilder().setMinBandwidthBps(RATE_BPS))
                    .setProtection(Protection.PROTECTION_RESTORATION).build()).get(30, TimeUnit.SECONDS);
            Sae.assertAliceAndBobShareKeys(chain, 2);

            String cut = chain.links.get(1);
            setEnabled(chain, chain.nodes.get(1), cut, false);
            Await.until(Duration.ofSeconds(30), () -> manager.get(created.getServiceId()).map(
                    s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED).orElse(false));
            assertThat(manager.get(created.getServiceId()).get().getReason()).contains(cut);
            assertThat(chain.lanes()).allMatch(l -> admission.reservedBps(l) == 0);
            for (KmsAgent k : chain.kms) {
                assertThat(k.services().services()).isEmpty();
            }

            setEnabled(chain, chain.nodes.get(1), cut, true);
            Await.until(Duration.ofSeconds(30), () -> manager.get(created.getServiceId()).map(
                    s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE).orElse(false));
            KeyService restored = manager.get(created.getServiceId()).get();
            assertThat(restored.getReason()).isEqualTo("restored");
            assertThat(restored.getRoutes(0).getRouteId()).isNotEqualTo(created.getRoutes(0).getRouteId());
            assertThat(chain.forwardLanes()).allMatch(l -> admission.reservedBps(l) == RATE_BPS);
            Sae.assertAliceAndBobShareKeys(chain, 2);

            manager.delete(created.getServiceId()).get(30, TimeUnit.SECONDS);
            assertThat(chain.lanes()).allMatch(l -> admission.reservedBps(l) == 0);
            assertThat(chain.controller.keyManagementService().getKeyRoutes()).isEmpty();
        }
    }

    private static void setEnabled(KeyChain chain, String node, String link, boolean enabled) throws Exception {
        CommandResult r = chain.controller.commandService().submit(node, ControllerCommand.newBuilder()
                .setModifyLink(ModifyLinkCommand.newBuilder().setQkdlId(link).setQkdlEnable(enabled)).build(),
                Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
        assertThat(r.getResult().getCode()).as(r.toString()).isZero();
    }
}

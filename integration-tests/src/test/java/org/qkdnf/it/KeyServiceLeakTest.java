package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.GetKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc.KeyServiceServiceBlockingStub;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ListKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * No leaks end to end (issue 4): on a ring of four nodes, key services are requested over Nc,
 * some deleted, one refused, one made impossible by cutting both links of its master's node. After
 * every step the controller's reservations (Nc GetTopology reserved_bps_a_to_b and _b_to_a, and the admission view of
 * each gone service) and the routes installed in every key manager are exactly what the remaining
 * services account for ({@link ServiceLedger}); at the end nothing is reserved and no key manager
 * holds a route.
 */
class KeyServiceLeakTest {

    static final long RATE_BPS = 1_024;

    @TempDir
    Path dir;

    @Test
    void deletedRefusedAndDegradedServicesLeaveNothingReservedOrInstalled() throws Exception {
        try (KeyChain ring = KeyChain.ring(dir, 4)) {
            ring.connectKeyManagersToController(Duration.ofMillis(200));
            KeyServiceRecoveryTest.awaitConverged(ring, RATE_BPS);
            AdmissionController admission = ring.controller.admissionController();
            ManagedChannel nc = NettyChannelBuilder.forTarget("127.0.0.1:" + ring.controller.sqPort(),
                    GrpcTls.channelCredentials(ring.issue("operator-tool", Role.CONTROLLER))).build();
            try {
                KeyServiceServiceBlockingStub services = KeyServiceServiceGrpc.newBlockingStub(nc);
                KeyService kept = create(services, ring, "sae-a", 0, "sae-b", 2, Protection.PROTECTION_RESTORATION);
                KeyService pair = create(services, ring, "sae-c", 1, "sae-d", 3, Protection.PROTECTION_ONE_PLUS_ONE);
                KeyService plain = create(services, ring, "sae-e", 3, "sae-f", 1, Protection.PROTECTION_NONE);
                KeyService doomed = create(services, ring, "sae-g", 1, "sae-h", 2, Protection.PROTECTION_RESTORATION);
                assertThat(pair.getRoutesList()).as("a disjoint pair in the ring").hasSize(2);
                ServiceLedger.assertNetworkHoldsExactly(ring, services);

                // Refused at setup: nothing left behind.
                assertThatThrownBy(() -> services.createKeyService(CreateKeyServiceRequest.newBuilder()
                        .setSpec(spec(ring, "sae-i", 0, "sae-j", 2, Protection.PROTECTION_RESTORATION, 1L << 40))
                        .build()))
                        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode())
                                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
                assertThat(list(services)).hasSize(4);
                ServiceLedger.assertNetworkHoldsExactly(ring, services);

                delete(services, pair);
                delete(services, plain);
                assertThat(admission.reservation(pair.getServiceId())).isEmpty();
                assertThat(admission.reservation(plain.getServiceId())).isEmpty();
                ServiceLedger.assertNetworkHoldsExactly(ring, services);

                // n1 cut off: the service from n1 has nowhere to go; the one from n0 moves if it went via n1.
                String n1West = ring.links.get(0);
                String n1East = ring.links.get(1);
                ring.setLinkEnabled(n1West, false);
                ring.setLinkEnabled(n1East, false);
                Await.until(Duration.ofSeconds(30), () -> state(services, doomed) == KeyServiceState.KEY_SERVICE_STATE_DEGRADED
                        && avoids(get(services, kept), List.of(n1West, n1East)),
                        () -> get(services, doomed) + " / " + get(services, kept));
                assertThat(get(services, doomed).getRoutesList()).isEmpty();
                assertThat(admission.reservation(doomed.getServiceId())).isEmpty();
                assertThat(get(services, kept).getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
                // the degraded service's old route is removed from the key managers once DEGRADED is durable
                Await.untilPasses(Duration.ofSeconds(10), () -> ServiceLedger.assertNetworkHoldsExactly(ring, services));

                assertThatThrownBy(() -> services.createKeyService(CreateKeyServiceRequest.newBuilder()
                        .setSpec(spec(ring, "sae-k", 0, "sae-l", 1, Protection.PROTECTION_RESTORATION, RATE_BPS))
                        .build()))
                        .as("a node with no working link")
                        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode())
                                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
                ServiceLedger.assertNetworkHoldsExactly(ring, services);

                delete(services, doomed);
                delete(services, kept);
                assertThat(list(services)).isEmpty();
                assertThat(ServiceLedger.reservedByLane(services).values()).containsOnly(0L);
                for (var k : ring.kms) {
                    assertThat(k.services().services()).as("routes left in the key manager of " + k.qkdnId())
                            .isEmpty();
                }
                assertThat(ring.controller.keyManagementService().getKeyRoutes()).isEmpty();
                for (KeyService s : List.of(kept, pair, plain, doomed)) {
                    assertThat(admission.reservation(s.getServiceId())).isEmpty();
                }
            } finally {
                nc.shutdownNow();
            }
        }
    }

    private static KeyServiceSpec spec(KeyChain ring, String master, int masterNode, String slave, int slaveNode,
                                       Protection protection, long rate) {
        return KeyServiceSpec.newBuilder()
                .setMasterSaeId(master).setMasterQkdnId(ring.nodes.get(masterNode))
                .setSlaveSaeId(slave).setSlaveQkdnId(ring.nodes.get(slaveNode))
                .setQos(AppQos.newBuilder().setMinBandwidthBps(rate)).setProtection(protection).build();
    }

    private static KeyService create(KeyServiceServiceBlockingStub services, KeyChain ring, String master,
                                     int masterNode, String slave, int slaveNode, Protection protection) {
        KeyService s = services.withDeadlineAfter(30, TimeUnit.SECONDS).createKeyService(CreateKeyServiceRequest
                .newBuilder().setSpec(spec(ring, master, masterNode, slave, slaveNode, protection, RATE_BPS)).build())
                .getService();
        assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        return s;
    }

    private static void delete(KeyServiceServiceBlockingStub services, KeyService s) {
        services.withDeadlineAfter(30, TimeUnit.SECONDS)
                .deleteKeyService(DeleteKeyServiceRequest.newBuilder().setServiceId(s.getServiceId()).build());
    }

    private static List<KeyService> list(KeyServiceServiceBlockingStub services) {
        return services.listKeyServices(ListKeyServicesRequest.getDefaultInstance()).getServicesList();
    }

    private static KeyService get(KeyServiceServiceBlockingStub services, KeyService s) {
        return services.getKeyService(GetKeyServiceRequest.newBuilder().setServiceId(s.getServiceId()).build())
                .getService();
    }

    private static KeyServiceState state(KeyServiceServiceBlockingStub services, KeyService s) {
        return get(services, s).getState();
    }

    private static boolean avoids(KeyService s, List<String> links) {
        for (ServiceRoute r : s.getRoutesList()) {
            for (String l : links) {
                if (r.getQkdlIdsList().contains(l)) {
                    return false;
                }
            }
        }
        return s.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE;
    }
}

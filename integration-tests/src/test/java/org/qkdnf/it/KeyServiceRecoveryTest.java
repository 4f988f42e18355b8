package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.GetKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc.KeyServiceServiceBlockingStub;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * Recovery with key flowing (issue 4): a ring of four trusted nodes gives two node-disjoint routes
 * between n0 and n2. A key service from sae-alice at n0 to sae-bob at n2 is requested over Nc
 * with no route; while the two SAEs take key continuously over ETSI GS QKD 014, a link of the
 * route keys flow on is cut (Sq ModifyLink: the agent's module stops generating key and the link
 * goes OFF). The service must end ACTIVE on the other route, with the reroute counted, and key must
 * keep flowing, none lost, none repeated, none handed to a third SAE.
 *
 * <p><b>Lost</b>, precisely: a key id the master SAE got from enc_keys (HTTP 200) which the slave
 * SAE cannot get from dec_keys at its key manager once the service is ACTIVE on the new route
 * (the slave keeps asking for 20 s after the flow stopped). The flow leaves some key ids handed to
 * the master before the cut unclaimed on purpose, so the question is asked of key that was in
 * flight on the old route when it failed, not only of key the slave happened to fetch in time.
 * <b>Repeated</b>: a key id handed to the master twice, the same key bits under two key ids, or a
 * key id handed to the slave twice.
 *
 * <p>The test states the property, not the mechanism: it holds whether a 1+1 service's standby
 * route is installed in the key managers ahead of the failure or only at the switch.
 */
class KeyServiceRecoveryTest {

    static final long RATE_BPS = 2_048;
    /** Key ids handed to the master before the cut that the slave claims only after the reroute. */
    static final int HELD_BACK = 5;

    @TempDir
    Path dir;

    @Test
    void restorationReroutesAroundACutAndNoKeyIsLostOrRepeated() throws Exception {
        survivesACut(Protection.PROTECTION_RESTORATION);
    }

    @Test
    void onePlusOneSwitchesToTheDisjointRouteAndNoKeyIsLostOrRepeated() throws Exception {
        survivesACut(Protection.PROTECTION_ONE_PLUS_ONE);
    }

    private void survivesACut(Protection protection) throws Exception {
        try (KeyChain ring = KeyChain.ring(dir, 4)) {
            ring.connectKeyManagersToController(Duration.ofMillis(200));
            awaitConverged(ring, RATE_BPS);
            ManagedChannel nc = NettyChannelBuilder.forTarget("127.0.0.1:" + ring.controller.sqPort(),
                    GrpcTls.channelCredentials(ring.issue("operator-tool", Role.CONTROLLER))).build();
            try {
                KeyServiceServiceBlockingStub services = KeyServiceServiceGrpc.newBlockingStub(nc);
                List<String> viaN1 = List.of(ring.nodes.get(0), ring.nodes.get(1), ring.nodes.get(2));
                List<String> viaN3 = List.of(ring.nodes.get(0), ring.nodes.get(3), ring.nodes.get(2));
                KeyService created = services.withDeadlineAfter(30, TimeUnit.SECONDS).createKeyService(
                        CreateKeyServiceRequest.newBuilder().setSpec(KeyServiceSpec.newBuilder()
                                .setMasterSaeId("sae-alice").setMasterQkdnId(ring.nodes.get(0))
                                .setSlaveSaeId("sae-bob").setSlaveQkdnId(ring.nodes.get(2))
                                .setQos(AppQos.newBuilder().setMinBandwidthBps(RATE_BPS))
                                .setProtection(protection)).build()).getService();
                assertThat(created.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
                ServiceRoute working = created.getRoutes(0);
                assertThat(working.getQkdnIdsList()).isIn(viaN1, viaN3);
                List<String> other = working.getQkdnIdsList().equals(viaN1) ? viaN3 : viaN1;
                if (protection == Protection.PROTECTION_ONE_PLUS_ONE) {
                    assertThat(created.getRoutesList()).hasSize(2);
                    assertThat(created.getRoutes(1).getQkdnIdsList()).isEqualTo(other);
                }
                ServiceLedger.assertNetworkHoldsExactly(ring, services);

                Sae alice = new Sae(ring, "sae-alice");
                Sae bob = new Sae(ring, "sae-bob");
                String cut = working.getQkdlIds(0);
                KeyFlow flow = new KeyFlow(alice, ring.kms[0], bob, ring.kms[2]);
                KeyService moved;
                try {
                    flow.awaitDelivered(10, Duration.ofSeconds(60));
                    long handed = flow.handedToMaster();
                    flow.holdBack(HELD_BACK);
                    Await.until(Duration.ofSeconds(30), () -> flow.handedToMaster() >= handed + HELD_BACK);

                    ring.setLinkEnabled(cut, false);
                    Await.until(Duration.ofSeconds(30), () -> onRoute(get(services, created), other),
                            () -> "service on " + other + ": " + get(services, created));
                    moved = get(services, created);
                    long deliveredAfterReroute = flow.delivered();
                    flow.awaitDelivered(deliveredAfterReroute + 10, Duration.ofSeconds(60));
                } finally {
                    flow.close();
                }
                assertThat(moved.getReroutes()).as("reroutes").isEqualTo(created.getReroutes() + 1);
                for (ServiceRoute r : moved.getRoutesList()) {
                    assertThat(r.getQkdlIdsList()).as("links of the routes after the cut").doesNotContain(cut);
                }

                List<String> lost = flow.settle(Duration.ofSeconds(20));
                assertThat(lost).as("key ids the master got that the slave could not get after the cut (of "
                        + flow.handedToMaster() + " handed out)").isEmpty();
                assertThat(flow.problems()).as("keys repeated or differing").isEmpty();
                assertNoOneElseGetsKey(ring, alice, bob, flow);
                ServiceLedger.assertNetworkHoldsExactly(ring, services);
            } finally {
                nc.shutdownNow();
            }
        }
    }

    /** A delivered key id is not handed out again; a third SAE gets nothing, and the slave still gets that key. */
    private static void assertNoOneElseGetsKey(KeyChain ring, Sae alice, Sae bob, KeyFlow flow) throws Exception {
        for (String id : flow.someDelivered(3)) {
            assertThat(bob.decKey(ring.kms[2], alice.id, id).status).as("key id " + id + " again").isEqualTo(400);
        }
        Sae carol = new Sae(ring, "sae-carol");
        Sae.Key k = alice.encKey(ring.kms[0], bob.id);
        assertThat(k.ok()).as(k.toString()).isTrue();
        assertThat(carol.decKey(ring.kms[2], alice.id, k.id).status).as("a third SAE").isEqualTo(401);
        Sae.Key d = bob.decKey(ring.kms[2], alice.id, k.id);
        assertThat(d.ok()).as(d.toString()).isTrue();
        assertThat(d.key).isEqualTo(k.key);
    }

    /** Every key manager and agent connected, every lane measured with room for four services of {@code rate}. */
    static void awaitConverged(KeyChain chain, long rate) throws InterruptedException {
        var km = chain.controller.keyManagementService();
        var admission = chain.controller.admissionController();
        Await.until(Duration.ofSeconds(30), () -> km.getKmNodes().size() == chain.nodes.size()
                && km.getKmNodes().stream().allMatch(n -> n.getConnected())
                && chain.lanes().stream().allMatch(l -> admission.admissibleBps(l) > 4 * rate),
                () -> "key managers " + km.getKmNodes().size() + ", admissible " + chain.lanes().stream()
                        .map(admission::admissibleBps).toList());
    }

    private static KeyService get(KeyServiceServiceBlockingStub services, KeyService s) {
        return services.getKeyService(GetKeyServiceRequest.newBuilder().setServiceId(s.getServiceId()).build())
                .getService();
    }

    private static boolean onRoute(KeyService s, List<String> nodes) {
        return s.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE && s.getRoutesCount() > 0
                && s.getRoutes(0).getQkdnIdsList().equals(nodes) && s.getRoutes(0).getInstalled();
    }
}

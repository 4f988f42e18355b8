package org.qkdnf.controller.app.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_ADDRESS;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_PORT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_CERTIFICATE_CHAIN;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_PRIVATE_KEY;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_TRUSTED_CA;

import java.nio.file.Path;
import java.util.Iterator;
import java.util.concurrent.TimeUnit;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.onlab.junit.TestUtils;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.app.keyservice.KeyServiceCluster;
import org.qkdnf.controller.app.testing.RecordingComponentConfigService;
import org.qkdnf.controller.app.testing.TestComponentContext;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential.PemFiles;
import org.qkdnf.controller.testing.TestTopology;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ListKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.WatchKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.WatchKeyServicesResponse;
import org.qkdnf.proto.northbound.v1.TopologyLink;
import org.qkdnf.proto.northbound.v1.WatchTopologyRequest;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * Nc over the Sq server's mutual TLS on the follower of a two-instance {@link KeyServiceCluster}:
 * a client with role controller creates, lists, watches and deletes, watches the topology (the
 * leader's changes, the end when the leader changes); an agent's certificate is refused.
 */
class NcOnSqServerTest {

    @TempDir
    static Path pki;
    private static PemFiles server;
    private static PemFiles client;
    private static PemFiles agent;

    private KeyServiceCluster cluster;
    private SqServerManager sq;
    private ManagedChannel channel;

    @BeforeAll
    static void issueCertificates() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create("test");
        server = ca.issue("controller-1", Role.CONTROLLER, "test").writeTo(pki, "server");
        client = ca.issue("operator-tool", Role.CONTROLLER, "test").writeTo(pki, "client");
        agent = ca.issue("a0000000-0000-4000-8000-00000000000a", Role.QKD_NODE, "test").writeTo(pki, "agent");
    }

    @BeforeEach
    void setUp() throws Exception {
        cluster = KeyServiceCluster.start(2);
        sq = new SqServerManager();
        TestUtils.setField(sq, "cfgService", new RecordingComponentConfigService());
        TestUtils.setField(sq, "topology", cluster.instance(1).topology);
        TestUtils.setField(sq, "keyServices", cluster.instance(1).services);
        sq.activate(new TestComponentContext().with(SQ_ADDRESS, "127.0.0.1").with(SQ_PORT, 0)
                .with(TLS_CERTIFICATE_CHAIN, server.certificateChain().toString())
                .with(TLS_PRIVATE_KEY, server.privateKey().toString())
                .with(TLS_TRUSTED_CA, server.trustedCa().toString()));
    }

    @AfterEach
    void tearDown() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        sq.deactivate();
        cluster.close();
    }

    private KeyServiceServiceGrpc.KeyServiceServiceBlockingStub stub(PemFiles who) {
        channel = Grpc.newChannelBuilderForAddress("localhost", sq.sqListenPort().orElseThrow(),
                GrpcTls.channelCredentials(new TlsFiles(who.certificateChain(), who.privateKey(), who.trustedCa())))
                .build();
        return KeyServiceServiceGrpc.newBlockingStub(channel).withDeadlineAfter(30, TimeUnit.SECONDS);
    }

    @Test
    void aControllerClientCreatesWatchesAndDeletesThroughAFollower() {
        KeyServiceServiceGrpc.KeyServiceServiceBlockingStub nc = stub(client);
        KeyService s = nc.createKeyService(CreateKeyServiceRequest.newBuilder()
                .setSpec(KeyServiceCluster.spec(2_000)).build()).getService();
        assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(nc.listKeyServices(ListKeyServicesRequest.getDefaultInstance()).getServicesList())
                .extracting(KeyService::getServiceId).containsExactly(s.getServiceId());

        Iterator<WatchKeyServicesResponse> watch = KeyServiceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS).watchKeyServices(WatchKeyServicesRequest.getDefaultInstance());
        assertThat(watch.next().getService().getServiceId()).isEqualTo(s.getServiceId());
        nc.deleteKeyService(DeleteKeyServiceRequest.newBuilder().setServiceId(s.getServiceId()).build());
        WatchKeyServicesResponse removed = watch.next();
        assertThat(removed.getRemoved()).isTrue();
        assertThat(removed.getService().getServiceId()).isEqualTo(s.getServiceId());
    }

    @Test
    void aTopologyWatchThroughAFollowerGetsTheLeadersChangesAndEndsWhenTheLeaderChanges() {
        stub(client);
        Iterator<WatchTopologyResponse> watch = KeyServiceServiceGrpc.newBlockingStub(channel)
                .withDeadlineAfter(30, TimeUnit.SECONDS).watchTopology(WatchTopologyRequest.getDefaultInstance());
        GetTopologyResponse snapshot = watch.next().getSnapshot();
        assertThat(snapshot.getLinksList()).extracting(TopologyLink::getQkdlId)
                .containsExactlyInAnyOrderElementsOf(KeyServiceCluster.LINKS);
        assertThat(snapshot.getLinksList()).extracting(TopologyLink::getAdmissibleBps)
                .containsOnly(KeyServiceCluster.ADMISSIBLE);

        String ab = KeyServiceCluster.AB;
        cluster.instance(0).topology.applyPerformance(cluster.instance(0).topology.getLink(ab).orElseThrow().nodeIdA(),
                TestTopology.perf(ab, QkdlStatus.QKDL_STATUS_OFF, 0, 0.01));
        WatchTopologyResponse change;
        do {
            change = watch.next();  // the stream's deadline fails the test if the change never comes
        } while (!change.getLink().getQkdlId().equals(ab));
        assertThat(change.getLink().getStatus()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
        assertThat(change.getLink().getAdmissibleBps()).isZero();

        cluster.instance(0).stopKeyServices();
        try {
            assertThatThrownBy(() -> {
                while (true) {
                    watch.next();
                }
            }).isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.UNAVAILABLE);
                assertThat(e.getStatus().getDescription()).contains("leader changed to instance-2");
            });
        } finally {
            cluster.instance(0).startKeyServices();
        }
    }

    @Test
    void badInputAndAnAgentsCertificateAreRefused() {
        KeyServiceServiceGrpc.KeyServiceServiceBlockingStub nc = stub(client);
        assertThatThrownBy(() -> nc.createKeyService(CreateKeyServiceRequest.newBuilder()
                .setSpec(KeyServiceCluster.spec(0)).build()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e -> {
                    assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(e.getStatus().getDescription()).startsWith("spec.qos.min_bandwidth_bps");
                });
        channel.shutdownNow();
        KeyServiceServiceGrpc.KeyServiceServiceBlockingStub asAgent = stub(agent);
        assertThatThrownBy(() -> asAgent.listKeyServices(ListKeyServicesRequest.getDefaultInstance()))
                .isInstanceOfSatisfying(StatusRuntimeException.class, e ->
                        assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
    }
}

package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.standalone.Agents.eventually;
import static org.qkdnf.controller.standalone.Agents.link;
import static org.qkdnf.controller.standalone.Agents.node;
import static org.qkdnf.controller.standalone.Agents.perf;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.TimeUnit;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.TlsChannelCredentials;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.reflection.v1.ServerReflectionGrpc;
import io.grpc.reflection.v1.ServerReflectionRequest;
import io.grpc.reflection.v1.ServerReflectionResponse;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/** The standalone host over real mTLS on 127.0.0.1, and its durable store across restarts. */
class StandaloneControllerTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    @TempDir
    static Path pki;
    static DevCertificateAuthority ca;
    static TlsFiles controllerTls;
    static TlsFiles agentA;
    static TlsFiles agentB;

    @TempDir
    Path data;
    private StandaloneController controller;

    @BeforeAll
    static void certificates() throws Exception {
        ca = DevCertificateAuthority.create("test-provider");
        controllerTls = Agents.issue(ca, pki, "controller", Role.CONTROLLER);
        agentA = Agents.issue(ca, pki, A, Role.QKD_NODE);
        agentB = Agents.issue(ca, pki, B, Role.QKD_NODE);
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    private StandaloneController start(StandaloneControllerConfig.Builder b) throws Exception {
        controller = StandaloneController.start(b.tls(controllerTls).dataDir(data).build());
        return controller;
    }

    private Agents.Stream connect(TlsFiles tls, String node) throws Exception {
        Agents.Stream s = new Agents.Stream(controller.sqPort(), GrpcTls.channelCredentials(tls)).hello(node);
        assertThat(s.next()).as("HelloAck").isNotNull().satisfies(r -> assertThat(r.hasHelloAck()).isTrue());
        return s;
    }

    @Test
    void agentWithTheRightCertificateIsServed() throws Exception {
        start(StandaloneControllerConfig.builder().reportIntervalMs(500));
        try (Agents.Stream a = connect(agentA, A); Agents.Stream b = connect(agentB, B)) {
            a.inventory(node(A, link(AB, A, B)));
            b.inventory(node(B, link(AB, B, A)));
            a.performance(perf(AB, 1234, 0.02));
            eventually(() -> controller.topologyService().getLink(AB).map(QkdLinkInfo::skrBps).orElse(0.0) == 1234);
            assertThat(controller.topologyService().getLink(AB).orElseThrow().status())
                    .isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        }
        eventually(() -> !controller.topologyService().getNode(A).orElseThrow().agentConnected());
    }

    @Test
    void helloAckCarriesTheConfiguredReportInterval() throws Exception {
        start(StandaloneControllerConfig.builder().reportIntervalMs(750).controllerId("ctl-1"));
        try (Agents.Stream a = new Agents.Stream(controller.sqPort(), GrpcTls.channelCredentials(agentA)).hello(A)) {
            var ack = a.next().getHelloAck();
            assertThat(ack.getReportIntervalMs()).isEqualTo(750);
            assertThat(ack.getControllerId()).isEqualTo("ctl-1");
        }
    }

    @Test
    void clientWithoutCertificateIsRefused() throws Exception {
        start(StandaloneControllerConfig.builder());
        ChannelCredentials noCert = TlsChannelCredentials.newBuilder()
                .trustManager(controllerTls.trustedCa().toFile()).build();
        try (Agents.Stream s = new Agents.Stream(controller.sqPort(), noCert).hello(A)) {
            Status status = s.closed.get(10, TimeUnit.SECONDS);
            assertThat(status.getCode()).isIn(Status.Code.UNAVAILABLE, Status.Code.UNAUTHENTICATED);
            assertThat(s.received).isEmpty();
        }
        assertThat(controller.topologyService().getNodes()).isEmpty();
    }

    @Test
    void certificateWithAnotherRoleIsPermissionDenied() throws Exception {
        start(StandaloneControllerConfig.builder());
        TlsFiles sae = Agents.issue(ca, pki, A, Role.SAE);
        try (Agents.Stream s = new Agents.Stream(controller.sqPort(), GrpcTls.channelCredentials(sae)).hello(A)) {
            Status status = s.closed.get(10, TimeUnit.SECONDS);
            assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(s.received).isEmpty();
        }
    }

    @Test
    void agentSpeakingForAnotherNodeIsPermissionDenied() throws Exception {
        start(StandaloneControllerConfig.builder());
        try (Agents.Stream s = new Agents.Stream(controller.sqPort(), GrpcTls.channelCredentials(agentA)).hello(B)) {
            Status status = s.closed.get(10, TimeUnit.SECONDS);
            assertThat(status.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(status.getDescription()).startsWith("hello.qkdn_id");
        }
    }

    @Test
    void healthAndReflectionAreServed() throws Exception {
        start(StandaloneControllerConfig.builder());
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.sqPort(),
                GrpcTls.channelCredentials(agentA)).build();
        try {
            HealthCheckResponse h = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(QuantumLayerServiceGrpc.SERVICE_NAME).build());
            assertThat(h.getStatus()).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);

            java.util.concurrent.CompletableFuture<ServerReflectionResponse> answer = new java.util.concurrent.CompletableFuture<>();
            StreamObserver<ServerReflectionRequest> req = ServerReflectionGrpc.newStub(ch)
                    .withDeadlineAfter(5, TimeUnit.SECONDS)
                    .serverReflectionInfo(new StreamObserver<>() {
                        @Override
                        public void onNext(ServerReflectionResponse value) {
                            answer.complete(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            answer.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            req.onNext(ServerReflectionRequest.newBuilder().setListServices("").build());
            ServerReflectionResponse r = answer.get(5, TimeUnit.SECONDS);
            req.onCompleted();
            assertThat(r.getListServicesResponse().getServiceList())
                    .extracting(s -> s.getName())
                    .contains(QuantumLayerServiceGrpc.SERVICE_NAME, "grpc.health.v1.Health");
        } finally {
            ch.shutdownNow();
            ch.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    @Test
    void topologyAndSettingsSurviveARestart() throws Exception {
        start(StandaloneControllerConfig.builder().qberDegradedThreshold(0.05).commandTimeout(Duration.ofSeconds(3)));
        try (Agents.Stream a = connect(agentA, A); Agents.Stream b = connect(agentB, B)) {
            a.inventory(node(A, link(AB, A, B)));
            b.inventory(node(B, link(AB, B, A)));
            eventually(() -> controller.topologyService().getLink(AB)
                    .map(l -> l.status() == QkdlStatus.QKDL_STATUS_ACTIVE).orElse(false));
        }
        controller.close();

        // second run: no explicit settings, so the stored ones apply
        start(StandaloneControllerConfig.builder());
        assertThat(controller.topologyService().settings().qberDegradedThreshold()).isEqualTo(0.05);
        assertThat(controller.topologyService().settings().commandTimeout()).isEqualTo(Duration.ofSeconds(3));
        assertThat(controller.topologyService().getNodes()).hasSize(2)
                .allSatisfy(n -> assertThat(n.agentConnected()).isFalse());
        assertThat(controller.topologyService().getNode(A).orElseThrow().node().getQkdLinksCount()).isEqualTo(1);
        QkdLinkInfo l = controller.topologyService().getLink(AB).orElseThrow();
        assertThat(l.reportCount()).isEqualTo(2);
        assertThat(l.status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat(l.hasPerformance()).isFalse();

        // agents reconnect; the restored link takes performance again
        try (Agents.Stream a = connect(agentA, A)) {
            a.inventory(node(A, link(AB, A, B)));
            a.performance(perf(AB, 99, 0.07));
            eventually(() -> controller.topologyService().getLink(AB).map(QkdLinkInfo::degraded).orElse(false));
        }
        controller.close();

        // third run: an explicit value replaces the stored one
        start(StandaloneControllerConfig.builder().qberDegradedThreshold(0.1));
        assertThat(controller.topologyService().settings().qberDegradedThreshold()).isEqualTo(0.1);
        assertThat(controller.topologyService().settings().commandTimeout()).isEqualTo(Duration.ofSeconds(3));
    }

    @Test
    void commandsTimeOutAgainstASilentAgent() throws Exception {
        start(StandaloneControllerConfig.builder().commandTimeout(Duration.ofMillis(300)));
        try (Agents.Stream a = connect(agentA, A)) {
            var result = controller.commandService().submit(A, org.qkdnf.proto.southbound.v1.ControllerCommand.newBuilder()
                    .setDeleteLink(org.qkdnf.proto.southbound.v1.DeleteLinkCommand.newBuilder().setQkdlId(AB)).build(), null);
            assertThat(a.next().hasCommand()).isTrue();
            java.util.concurrent.ExecutionException e = org.assertj.core.api.Assertions.catchThrowableOfType(
                    java.util.concurrent.ExecutionException.class, () -> result.get(5, TimeUnit.SECONDS));
            assertThat(Status.fromThrowable(e.getCause()).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        }
    }

    @Test
    void storeFileIsCreatedInTheDataDir() throws Exception {
        start(StandaloneControllerConfig.builder());
        assertThat(Files.exists(data.resolve(MvStoreQkdTopologyStore.FILE_NAME))).isTrue();
    }
}

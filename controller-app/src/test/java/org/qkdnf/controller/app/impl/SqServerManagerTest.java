package org.qkdnf.controller.app.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_ADDRESS;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_PORT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_CERTIFICATE_CHAIN;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_PRIVATE_KEY;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_TRUSTED_CA;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;

import java.net.ServerSocket;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.onlab.junit.TestUtils;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.app.testing.RecordingComponentConfigService;
import org.qkdnf.controller.app.testing.TestComponentContext;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential.PemFiles;
import org.qkdnf.proto.southbound.v1.AgentCapabilities;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.DeleteLinkCommand;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

class SqServerManagerTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    @TempDir
    static Path pki;
    static PemFiles controller;
    static PemFiles agent;

    private final RecordingComponentConfigService cfg = new RecordingComponentConfigService();
    private QkdTopologyManager topology;
    private SqServerManager sq;
    private ManagedChannel channel;

    @BeforeEach
    void setUp() throws Exception {
        if (controller == null) {
            DevCertificateAuthority ca = DevCertificateAuthority.create("test");
            controller = ca.issue("controller-1", Role.CONTROLLER, "test").writeTo(pki, "controller");
            agent = ca.issue(A, Role.QKD_NODE, "test").writeTo(pki, "agent");
        }
        topology = new QkdTopologyManager(new SimpleQkdTopologyStore());
        sq = new SqServerManager();
        TestUtils.setField(sq, "cfgService", cfg);
        TestUtils.setField(sq, "topology", topology);
    }

    @AfterEach
    void tearDown() throws Exception {
        if (channel != null) {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        topology.close();
    }

    private static TestComponentContext tls(PemFiles files) {
        return new TestComponentContext()
                .with(SQ_ADDRESS, "127.0.0.1")
                .with(SQ_PORT, 0)
                .with(TLS_CERTIFICATE_CHAIN, files.certificateChain().toString())
                .with(TLS_PRIVATE_KEY, files.privateKey().toString())
                .with(TLS_TRUSTED_CA, files.trustedCa().toString());
    }

    @Test
    void withoutTlsFilesThereIsNoSqServerButTheComponentWorks() {
        sq.activate(new TestComponentContext());
        assertThat(cfg.registered).contains(SqServerManager.class.getName());
        assertThat(sq.sqListenPort()).isEmpty();
        sq.deactivate();
        assertThat(cfg.registered).doesNotContain(SqServerManager.class.getName());
    }

    @Test
    void anAgentConnectsOverMutualTlsAndItsInventoryReachesTheTopology() throws Exception {
        sq.activate(tls(controller));
        int port = sq.sqListenPort().orElseThrow();

        CompletableFuture<Status> closed = connectAgent(port);
        awaitTrue(() -> topology.getNode(A).isPresent() && topology.getNode(A).get().agentConnected());
        assertThat(topology.getLink(AB)).isPresent();
        assertThat(sq.connectedAgents()).isEqualTo(1);

        sq.deactivate();
        assertThat(closed.get(10, TimeUnit.SECONDS).getCode()).as("stream ends when the server stops")
                .isNotEqualTo(Status.Code.OK);
        assertThat(sq.sqListenPort()).isEmpty();
        awaitTrue(() -> !topology.getNode(A).orElseThrow().agentConnected());
    }

    @Test
    void aModifiedPortRestartsTheServerThere() throws Exception {
        sq.activate(tls(controller));
        int free;
        try (ServerSocket s = new ServerSocket(0)) {
            free = s.getLocalPort();
        }
        sq.modified(tls(controller).with(SQ_PORT, String.valueOf(free)));
        assertThat(sq.sqListenPort()).hasValue(free);
        connectAgent(free);
        awaitTrue(() -> topology.getNode(A).isPresent());
        sq.deactivate();
    }

    @Test
    void aMalformedPortIsRefusedAndTheServerKeepsRunning() {
        sq.activate(tls(controller));
        int port = sq.sqListenPort().orElseThrow();
        sq.modified(tls(controller).with(SQ_PORT, "fifty"));
        assertThat(sq.sqListenPort()).hasValue(port);
        sq.modified(tls(controller).with(SQ_PORT, 70000));
        assertThat(sq.sqListenPort()).hasValue(port);
        sq.deactivate();
    }

    @Test
    void anUnreadableKeyFileLeavesNoServerUntilTheConfigurationIsFixed() {
        sq.activate(tls(controller).with(TLS_PRIVATE_KEY, pki.resolve("missing.key").toString()));
        assertThat(sq.sqListenPort()).isEmpty();
        sq.modified(tls(controller));
        assertThat(sq.sqListenPort()).isPresent();
        sq.deactivate();
    }

    @Test
    void aCommandToANodeWithoutAgentFailsUnavailable() {
        sq.activate(new TestComponentContext());
        ControllerCommand delete = ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)).build();
        CompletableFuture<?> result = sq.submit(B, delete, Duration.ofSeconds(1));
        assertThatThrownBy(() -> result.get(5, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class)
                .satisfies(e -> assertThat(Status.fromThrowable(e.getCause()).getCode())
                        .isEqualTo(Status.Code.UNAVAILABLE))
                .hasCauseInstanceOf(StatusRuntimeException.class);
        sq.deactivate();
    }

    /** An agent for node A: mTLS with its own certificate, Hello, then its inventory. */
    private CompletableFuture<Status> connectAgent(int port) {
        TlsFiles files = new TlsFiles(agent.certificateChain(), agent.privateKey(), agent.trustedCa());
        channel = Grpc.newChannelBuilderForAddress("localhost", port, GrpcTls.channelCredentials(files)).build();
        CompletableFuture<Status> closed = new CompletableFuture<>();
        StreamObserver<ConnectRequest> out = QuantumLayerServiceGrpc.newStub(channel).connect(
                new StreamObserver<ConnectResponse>() {
                    @Override
                    public void onNext(ConnectResponse value) {
                    }

                    @Override
                    public void onError(Throwable t) {
                        closed.complete(Status.fromThrowable(t));
                    }

                    @Override
                    public void onCompleted() {
                        closed.complete(Status.OK);
                    }
                });
        out.onNext(ConnectRequest.newBuilder().setSeq(1).setHello(Hello.newBuilder().setQkdnId(A)
                .setAgentVersion("test").setAgentInstanceId("run-1")
                .setCapabilities(AgentCapabilities.newBuilder().setDriver("test"))).build());
        out.onNext(ConnectRequest.newBuilder().setSeq(2).setInventory(Inventory.newBuilder()
                .setQkdNode(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)))).build());
        return closed;
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(20);
        }
    }
}

package org.qkdnf.agent.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.driver.KeyBlockSource;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreEvent;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.ModifyLinkCommand;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.SetParametersCommand;

/** Two agents against a real standalone controller, over mTLS on 127.0.0.1. */
class QkdAgentTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String IA = "a1000000-0000-4000-8000-0000000000a1";
    static final String IB = "b1000000-0000-4000-8000-0000000000b1";
    static final ChannelParameters FIBRE = new ChannelParameters(25, 0.2, 0.2, 1e-6, 0.015, 1e9);

    @TempDir
    static Path pki;
    static TlsFiles controllerTls;
    static TlsFiles tlsA;
    static TlsFiles tlsB;

    @TempDir
    Path data;
    private StandaloneController controller;
    private final List<AutoCloseable> open = new java.util.ArrayList<>();

    @BeforeAll
    static void certificates() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create("test-provider");
        controllerTls = issue(ca, "controller", Role.CONTROLLER);
        tlsA = issue(ca, A, Role.QKD_NODE);
        tlsB = issue(ca, B, Role.QKD_NODE);
    }

    static TlsFiles issue(DevCertificateAuthority ca, String id, Role role) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(id, role, "test-provider").writeTo(pki, id + "-" + role.ou());
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (controller != null) {
            controller.close();
        }
    }

    private StandaloneController startController(int port) throws Exception {
        controller = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1").sqPort(port)
                .tls(controllerTls).dataDir(data).reportIntervalMs(200).build());
        return controller;
    }

    private QkdAgent agent(String node, TlsFiles tls, String claimedNode, PhysQkdRole role, FibreSchedule schedule,
                           KeySeed seed, Instant epoch, boolean health) throws Exception {
        boolean isA = node.equals(A);
        AgentConfig cfg = new AgentConfig(new AgentConfig.Node(claimedNode, isA ? "node-a" : "node-b", null),
                "127.0.0.1:" + controller.sqPort(), tls, 200, 0.08,
                health ? new java.net.InetSocketAddress("127.0.0.1", 0) : null, epoch,
                List.of(new AgentConfig.Module(isA ? IA : IB, role, isA ? B : A, isA ? IB : IA, FIBRE, schedule, seed,
                        8192, new AgentConfig.Link(AB, true))), null);
        QkdAgent agent = QkdAgent.start(cfg, Clock.systemUTC());
        open.add(agent);
        return agent;
    }

    private QkdAgent[] pair(FibreSchedule schedule, Instant epoch) throws Exception {
        KeySeed seed = KeySeed.random();
        return new QkdAgent[] {
            agent(A, tlsA, A, PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER, schedule, seed, epoch, true),
            agent(B, tlsB, B, PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, schedule, seed, epoch, false)};
    }

    private QkdLinkInfo link() {
        return controller.topologyService().getLink(AB).orElse(null);
    }

    @Test
    void topologyConvergesWithModelledRateAndIdenticalKeyAtBothEnds() throws Exception {
        startController(0);
        QkdAgent[] agents = pair(FibreSchedule.NONE, null);
        eventually(Duration.ofSeconds(10), () -> link() != null && link().reportCount() == 2
                && link().status() == QkdlStatus.QKDL_STATUS_ACTIVE && link().skrBps() > 0);
        assertThat(agents[0].isConnected()).isTrue();
        assertThat(controller.topologyService().getNode(A).orElseThrow().node().getQkdInterfacesCount()).isEqualTo(1);
        double expected = new org.qkdnf.agent.sim.DecoyStateBb84().evaluate(FIBRE, 0).skrBps();
        eventually(Duration.ofSeconds(20), () -> Math.abs(link().skrBps() - expected) < 0.1 * expected);
        assertThat(link().qber()).isBetween(0.014, 0.017);

        KeyBlockSource ka = agents[0].keys(AB).orElseThrow();
        KeyBlockSource kb = agents[1].keys(AB).orElseThrow();
        // The inventory already carries the modelled rate, so the checks above can pass before the
        // modules' first tick has produced a block: wait for key at both ends.
        eventually(Duration.ofSeconds(10), () -> Math.min(ka.producedBlocks(), kb.producedBlocks()) >= 10);
        long n = Math.min(ka.producedBlocks(), kb.producedBlocks());
        for (long i = 0; i < n; i += Math.max(1, n / 50)) {
            assertThat(ka.block(i).blockId()).isEqualTo(kb.block(i).blockId());
            assertThat(ka.block(i).key()).isEqualTo(kb.block(i).key());
        }
    }

    @Test
    void aScheduledCutReachesTheControllerWellWithinASecond() throws Exception {
        startController(0);
        Instant epoch = Instant.now();
        FibreSchedule cutAt3s = new FibreSchedule(List.of(new FibreEvent(3, FibreEvent.Type.CUT, 0)));
        pair(cutAt3s, epoch);
        eventually(Duration.ofSeconds(10), () -> link() != null && link().status() == QkdlStatus.QKDL_STATUS_ACTIVE);
        Instant cut = epoch.plusSeconds(3);
        eventually(Duration.ofSeconds(10), () -> link().status() == QkdlStatus.QKDL_STATUS_OFF);
        Duration late = Duration.between(cut, Instant.now());
        assertThat(late).isLessThan(Duration.ofSeconds(1));
    }

    @Test
    void commandsAreExecutedAndAnsweredWithFieldNamingErrors() throws Exception {
        startController(0);
        pair(FibreSchedule.NONE, null);
        eventually(Duration.ofSeconds(10), () -> link() != null && link().status() == QkdlStatus.QKDL_STATUS_ACTIVE);

        CommandResult disabled = controller.commandService().submit(A, ControllerCommand.newBuilder()
                .setModifyLink(ModifyLinkCommand.newBuilder().setQkdlId(AB).setQkdlEnable(false)).build(),
                Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(disabled.getResult().getCode()).isZero();
        assertThat(disabled.getQkdLink().getQkdlStatus()).isEqualTo(QkdlStatus.QKDL_STATUS_PASSIVE);
        eventually(Duration.ofSeconds(5), () -> link().endStatus(A).orElse(null) == QkdlStatus.QKDL_STATUS_PASSIVE);

        CommandResult unknown = controller.commandService().submit(A, ControllerCommand.newBuilder()
                .setModifyLink(ModifyLinkCommand.newBuilder().setQkdlId("ffffffff-0000-4000-8000-000000000000")
                        .setQkdlEnable(true)).build(), Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(unknown.getResult().getCode()).isEqualTo(io.grpc.Status.Code.NOT_FOUND.value());
        assertThat(unknown.getResult().getMessage()).contains("modify_link.qkdl_id");

        CommandResult bad = controller.commandService().submit(A, ControllerCommand.newBuilder()
                .setSetParameters(SetParametersCommand.newBuilder().setReportIntervalMs(5)).build(),
                Duration.ofSeconds(5)).get(10, TimeUnit.SECONDS);
        assertThat(bad.getResult().getCode()).isEqualTo(io.grpc.Status.Code.INVALID_ARGUMENT.value());
        assertThat(bad.getResult().getMessage()).contains("set_parameters.report_interval_ms");
    }

    @Test
    void agentsReconnectToARestartedControllerAndResendTheirInventory() throws Exception {
        startController(0);
        int port = controller.sqPort();
        QkdAgent[] agents = pair(FibreSchedule.NONE, null);
        eventually(Duration.ofSeconds(10), () -> link() != null && link().status() == QkdlStatus.QKDL_STATUS_ACTIVE);
        controller.close();
        controller = null;
        eventually(Duration.ofSeconds(5), () -> !agents[0].isConnected() && !agents[1].isConnected());
        Thread.sleep(1500); // a few failed attempts, so back-off is engaged
        startController(port);
        eventually(Duration.ofSeconds(15), () -> agents[0].isConnected() && agents[1].isConnected());
        eventually(Duration.ofSeconds(5), () -> controller.topologyService().getNode(A).map(n -> n.agentConnected())
                .orElse(false) && link() != null && link().reportCount() == 2 && link().hasPerformance());
    }

    @Test
    void anAgentClaimingAnotherNodeIsRefusedAndNeverConnects() throws Exception {
        startController(0);
        // Node A's certificate, but the configuration says it is node B.
        QkdAgent impostor = agent(B, tlsA, B, PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, FibreSchedule.NONE,
                KeySeed.random(), null, false);
        Thread.sleep(1500);
        assertThat(impostor.isConnected()).isFalse();
        assertThat(controller.topologyService().getNode(B)).isEmpty();
    }

    @Test
    void healthReportsTheControllerConnectionOverMutualTls() throws Exception {
        startController(0);
        QkdAgent[] agents = pair(FibreSchedule.NONE, null);
        eventually(Duration.ofSeconds(10), agents[0]::isConnected);
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", agents[0].healthPort(),
                GrpcTls.channelCredentials(tlsB)).build();
        try {
            HealthGrpc.HealthBlockingStub health = HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS);
            assertThat(health.check(HealthCheckRequest.newBuilder().build()).getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            assertThat(health.check(HealthCheckRequest.newBuilder().setService(QkdAgent.SERVICE).build()).getStatus())
                    .isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
            controller.close();
            controller = null;
            eventually(Duration.ofSeconds(5), () -> HealthGrpc.newBlockingStub(ch).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.newBuilder().setService(QkdAgent.SERVICE).build()).getStatus()
                    == HealthCheckResponse.ServingStatus.NOT_SERVING);
        } finally {
            ch.shutdownNow();
        }
    }

    static void eventually(Duration timeout, BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within " + timeout);
            }
            Thread.sleep(20);
        }
    }
}

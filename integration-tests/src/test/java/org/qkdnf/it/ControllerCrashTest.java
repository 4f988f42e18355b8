package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.controller.standalone.cli.ControllerMain;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/**
 * The controller as a separate process, killed with SIGKILL under connected agents, and restarted.
 */
class ControllerCrashTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String IA = "a1000000-0000-4000-8000-0000000000a1";
    static final String IB = "b1000000-0000-4000-8000-0000000000b1";

    @TempDir
    Path dir;
    private TlsFiles controllerTls;
    private TlsFiles tlsA;
    private TlsFiles tlsB;
    private Process process;
    private final List<AutoCloseable> open = new ArrayList<>();

    @BeforeEach
    void pki() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create("it-provider");
        controllerTls = issue(ca, "controller", Role.CONTROLLER);
        tlsA = issue(ca, A, Role.QKD_NODE);
        tlsB = issue(ca, B, Role.QKD_NODE);
    }

    private TlsFiles issue(DevCertificateAuthority ca, String id, Role role) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(id, role, "it-provider").writeTo(dir.resolve("pki"), id);
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : open) {
            c.close();
        }
        if (process != null) {
            process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        }
    }

    /** Starts the controller's command line in its own JVM and returns its Sq port. */
    private int launchControllerProcess(Path data) throws Exception {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), ControllerMain.class.getName(),
                "--sq-port", "0", "--tls-cert", controllerTls.certificateChain().toString(),
                "--tls-key", controllerTls.privateKey().toString(), "--tls-ca", controllerTls.trustedCa().toString(),
                "--data-dir", data.toString(), "--report-interval-ms", "200");
        process = new ProcessBuilder(cmd).redirectError(dir.resolve("controller.log").toFile()).start();
        BufferedReader out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        return CompletableFuture.supplyAsync(() -> {
            try {
                for (String line; (line = out.readLine()) != null; ) {
                    if (line.startsWith("SQ_PORT=")) {
                        return Integer.parseInt(line.substring("SQ_PORT=".length()));
                    }
                }
                throw new IllegalStateException("controller exited without SQ_PORT");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        }).get(60, TimeUnit.SECONDS);
    }

    private QkdAgent agent(boolean isA, int port, KeySeed seed) throws Exception {
        AgentConfig cfg = new AgentConfig(new AgentConfig.Node(isA ? A : B, isA ? "node-a" : "node-b", null),
                "127.0.0.1:" + port, isA ? tlsA : tlsB, 200, 0.08, null, null,
                List.of(new AgentConfig.Module(isA ? IA : IB, isA ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER
                        : PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, isA ? B : A, isA ? IB : IA,
                        new ChannelParameters(30, 0.2, 0.2, 1e-6, 0.015, 1e9), FibreSchedule.NONE, seed, 8192,
                        new AgentConfig.Link(AB, true))), null);
        QkdAgent agent = QkdAgent.start(cfg, Clock.systemUTC());
        open.add(agent);
        return agent;
    }

    private StandaloneController inProcess(Path data, int port) throws Exception {
        StandaloneController c = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1")
                .sqPort(port).tls(controllerTls).dataDir(data).build());
        open.add(c::close);
        return c;
    }

    @Test
    void killedControllerIsRestartedAndTheAgentsMakeTheTopologyWholeAgain() throws Exception {
        Path data = dir.resolve("controller-data");
        int port = launchControllerProcess(data);
        KeySeed seed = KeySeed.random();
        QkdAgent a = agent(true, port, seed);
        QkdAgent b = agent(false, port, seed);
        eventually(Duration.ofSeconds(20), () -> a.isConnected() && b.isConnected());
        Thread.sleep(600); // a few performance reports

        process.destroyForcibly(); // SIGKILL on Linux: no shutdown hook, no clean close of the store
        assertThat(process.waitFor(10, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).isEqualTo(137);
        process = null;
        eventually(Duration.ofSeconds(5), () -> !a.isConnected() && !b.isConnected());

        // What the killed process had stored, before any agent can reach the new one (another port).
        StandaloneController check = inProcess(data, 0);
        assertThat(check.topologyService().getNodes()).extracting(n -> n.qkdnId()).containsExactlyInAnyOrder(A, B);
        assertThat(check.topologyService().getLink(AB)).isPresent();
        check.close();
        open.remove(open.size() - 1);

        StandaloneController restarted = inProcess(data, port);
        eventually(Duration.ofSeconds(15), () -> a.isConnected() && b.isConnected());
        eventually(Duration.ofSeconds(5), () -> {
            QkdLinkInfo l = restarted.topologyService().getLink(AB).orElse(null);
            return l != null && l.reportCount() == 2 && l.status() == QkdlStatus.QKDL_STATUS_ACTIVE && l.hasPerformance()
                    && restarted.topologyService().getNodes().stream().allMatch(n -> n.agentConnected());
        });
    }

    @Test
    void anotherNodesCertificateOrNoCertificateIsRefused() throws Exception {
        int port = launchControllerProcess(dir.resolve("controller-data"));

        // Node B's certificate, speaking for node A.
        Status impostor = helloStatus(port, GrpcTls.channelCredentials(tlsB), A);
        assertThat(impostor.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(impostor.getDescription()).contains("hello.qkdn_id");

        ChannelCredentials noCert = TlsChannelCredentials.newBuilder()
                .trustManager(controllerTls.trustedCa().toFile()).build();
        assertThat(helloStatus(port, noCert, A).getCode()).isEqualTo(Status.Code.UNAVAILABLE);

        // The genuine agent still gets in.
        QkdAgent a = agent(true, port, KeySeed.random());
        eventually(Duration.ofSeconds(20), a::isConnected);
    }

    private static Status helloStatus(int port, ChannelCredentials credentials, String node) throws Exception {
        ManagedChannel ch = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
        try {
            CompletableFuture<Status> ended = new CompletableFuture<>();
            StreamObserver<ConnectRequest> out = QuantumLayerServiceGrpc.newStub(ch).connect(
                    new StreamObserver<ConnectResponse>() {
                        @Override
                        public void onNext(ConnectResponse value) {
                            ended.complete(Status.OK.withDescription("accepted: " + value.getMessageCase()));
                        }

                        @Override
                        public void onError(Throwable t) {
                            ended.complete(Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            ended.complete(Status.OK.withDescription("completed"));
                        }
                    });
            out.onNext(ConnectRequest.newBuilder().setSeq(1).setHello(Hello.newBuilder().setQkdnId(node)
                    .setAgentVersion("it").setAgentInstanceId("1")).build());
            return ended.get(20, TimeUnit.SECONDS);
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

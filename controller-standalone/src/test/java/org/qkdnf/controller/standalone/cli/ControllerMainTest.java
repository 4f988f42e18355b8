package org.qkdnf.controller.standalone.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.standalone.MvStoreQkdTopologyStore;
import org.qkdnf.controller.standalone.TestAccess;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.southbound.v1.ConnectRequest;

/** The CLI as a separate process: SQ_PORT line, clean SIGTERM, nothing acknowledged lost on kill -9. */
class ControllerMainTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    @TempDir
    Path dir;

    private Process launch(TlsFiles tls, Path data) throws Exception {
        List<String> cmd = new ArrayList<>(List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"),
                ControllerMain.class.getName(),
                "--sq-port", "0", "--tls-cert", tls.certificateChain().toString(),
                "--tls-key", tls.privateKey().toString(), "--tls-ca", tls.trustedCa().toString(),
                "--data-dir", data.toString(), "--qber-threshold", "0.07"));
        return new ProcessBuilder(cmd).redirectError(dir.resolve("controller.log").toFile()).start();
    }

    private static int readPort(Process p) throws Exception {
        BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        CompletableFuture<Integer> port = CompletableFuture.supplyAsync(() -> {
            try {
                String line;
                while ((line = out.readLine()) != null) {
                    if (line.startsWith("SQ_PORT=")) {
                        return Integer.parseInt(line.substring("SQ_PORT=".length()));
                    }
                }
                throw new IllegalStateException("controller exited without SQ_PORT");
            } catch (java.io.IOException e) {
                throw new java.io.UncheckedIOException(e);
            }
        });
        return port.get(30, TimeUnit.SECONDS);
    }

    @Test
    void killedRightAfterAnAcknowledgedInventoryLosesNothingAndSigtermExitsCleanly() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create("p");
        TlsFiles controllerTls = TestAccess.issue(ca, dir, "controller", Role.CONTROLLER);
        TlsFiles agentTls = TestAccess.issue(ca, dir, A, Role.QKD_NODE);
        Path data = dir.resolve("data");

        Process p = launch(controllerTls, data);
        try {
            int port = readPort(p);
            try (var agent = TestAccess.stream(port, GrpcTls.channelCredentials(agentTls))) {
                agent.hello(A);
                assertThat(agent.next()).isNotNull();
                agent.inventory(TestAccess.node(A, TestAccess.link(AB, A, B)));
                // The stream is handled in order: when this bad message closes it, the inventory
                // before it has been applied and acknowledged.
                agent.sendRaw(ConnectRequest.newBuilder().setSeq(0).build());
                assertThat(agent.closedStatus().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
            }
        } finally {
            p.destroyForcibly(); // SIGKILL: no shutdown hook, no store close
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        }
        try (MvStoreQkdTopologyStore store = MvStoreQkdTopologyStore.open(data.resolve(MvStoreQkdTopologyStore.FILE_NAME))) {
            assertThat(store.getNode(A)).isPresent();
            assertThat(store.getLink(AB).map(QkdLinkInfo::reportCount)).contains(1);
            assertThat(store.getSettings().orElseThrow().qberDegradedThreshold()).isEqualTo(0.07);
        }

        // restart on the same data, then SIGTERM: the shutdown hook closes everything and the JVM exits
        Process again = launch(controllerTls, data);
        try {
            assertThat(readPort(again)).isPositive();
        } finally {
            again.destroy(); // SIGTERM
            assertThat(again.waitFor(20, TimeUnit.SECONDS)).isTrue();
        }
        assertThat(java.nio.file.Files.readString(dir.resolve("controller.log"))).contains("controller stopped");
    }
}

package org.qkdnf.common.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.Set;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential.PemFiles;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.health.v1.HealthCheckRequest;
import io.grpc.health.v1.HealthCheckResponse;
import io.grpc.health.v1.HealthGrpc;
import io.grpc.stub.StreamObserver;

/** Real mTLS over 127.0.0.1: who gets in, and what identity the handler sees. */
class MutualTlsTest {

    private static final String PROVIDER = "provider-a";

    @TempDir
    Path dir;

    private DevCertificateAuthority ca;
    private Server server;
    private volatile PeerIdentity seenByHandler;

    @BeforeEach
    void startServer() throws Exception {
        ca = DevCertificateAuthority.create(PROVIDER);
        TlsFiles serverTls = files(ca.issue("controller", Role.CONTROLLER, PROVIDER).writeTo(dir, "server"));
        HealthGrpc.HealthImplBase recordingService = new HealthGrpc.HealthImplBase() {
            @Override
            public void check(HealthCheckRequest request, StreamObserver<HealthCheckResponse> response) {
                seenByHandler = PeerIdentity.current().orElse(null);
                response.onNext(HealthCheckResponse.newBuilder()
                        .setStatus(HealthCheckResponse.ServingStatus.SERVING).build());
                response.onCompleted();
            }
        };
        server = Grpc.newServerBuilderForPort(0, GrpcTls.serverCredentials(serverTls))
                .addService(ServerInterceptors.intercept(recordingService,
                        new PeerIdentityInterceptor(Set.of(Role.QKD_NODE.ou()))))
                .build().start();
    }

    @AfterEach
    void stopServer() throws InterruptedException {
        server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    }

    @Test
    void handlerSeesIdentityFromClientCertificate() throws Exception {
        TlsFiles client = files(ca.issue("node-1", Role.QKD_NODE, PROVIDER).writeTo(dir, "node-1"));
        assertThat(call(GrpcTls.channelCredentials(client))).isEqualTo(HealthCheckResponse.ServingStatus.SERVING);
        assertThat(seenByHandler).isEqualTo(new PeerIdentity("node-1", "qkd-node", PROVIDER));
    }

    @Test
    void roleNotServedIsPermissionDenied() throws Exception {
        TlsFiles sae = files(ca.issue("sae-1", Role.SAE, PROVIDER).writeTo(dir, "sae-1"));
        assertThatThrownBy(() -> call(GrpcTls.channelCredentials(sae)))
                .isInstanceOfSatisfying(StatusRuntimeException.class,
                        e -> assertThat(e.getStatus().getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        assertThat(seenByHandler).isNull();
    }

    @Test
    void certificateFromAnotherCaIsRefused() throws Exception {
        DevCertificateAuthority rogue = DevCertificateAuthority.create("rogue");
        PemFiles rogueFiles = rogue.issue("node-1", Role.QKD_NODE, PROVIDER).writeTo(dir.resolve("rogue"), "node-1");
        // Trust the real server CA so that only the client side of the handshake is wrong.
        TlsFiles client = new TlsFiles(rogueFiles.certificateChain(), rogueFiles.privateKey(),
                ca.writeCaCertificate(dir.resolve("real-ca")));
        assertThatThrownBy(() -> call(GrpcTls.channelCredentials(client)))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(seenByHandler).isNull();
    }

    @Test
    void plaintextClientIsRefused() {
        assertThatThrownBy(() -> call(InsecureChannelCredentials.create()))
                .isInstanceOf(StatusRuntimeException.class);
        assertThat(seenByHandler).isNull();
    }

    private HealthCheckResponse.ServingStatus call(ChannelCredentials credentials) throws InterruptedException {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("localhost", server.getPort(), credentials).build();
        try {
            return HealthGrpc.newBlockingStub(channel).withDeadlineAfter(5, TimeUnit.SECONDS)
                    .check(HealthCheckRequest.getDefaultInstance()).getStatus();
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    private static TlsFiles files(PemFiles pem) {
        return new TlsFiles(pem.certificateChain(), pem.privateKey(), pem.trustedCa());
    }
}

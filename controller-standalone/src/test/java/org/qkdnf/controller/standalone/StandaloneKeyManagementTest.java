package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.GetKmTopologyRequest;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyRouteAdminServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KmsHello;

/** Sk on the standalone controller's one port, over real mTLS: each service admits only its roles. */
class StandaloneKeyManagementTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";

    @TempDir
    static Path pki;
    static DevCertificateAuthority ca;
    static TlsFiles controllerTls;
    static TlsFiles kmsA;
    static TlsFiles agentA;

    @TempDir
    Path data;
    private StandaloneController controller;

    @BeforeAll
    static void certificates() throws Exception {
        ca = DevCertificateAuthority.create("test-provider");
        controllerTls = Agents.issue(ca, pki, "controller", Role.CONTROLLER);
        kmsA = Agents.issue(ca, pki, A, Role.KMS);
        agentA = Agents.issue(ca, pki, A, Role.QKD_NODE);
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    /** A raw Sk stream. */
    static final class KmStream implements StreamObserver<ConnectResponse>, AutoCloseable {
        final ManagedChannel channel;
        final BlockingQueue<ConnectResponse> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final StreamObserver<ConnectRequest> out;

        KmStream(int port, TlsFiles tls, String node) {
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, GrpcTls.channelCredentials(tls)).build();
            out = KeyManagementServiceGrpc.newStub(channel).connect(this);
            out.onNext(ConnectRequest.newBuilder().setSeq(1).setHello(KmsHello.newBuilder().setQkdnId(node)
                    .setKmeId("kme").setEtsi014Address("127.0.0.1:8443")).build());
        }

        @Override
        public void onNext(ConnectResponse r) {
            received.add(r);
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }

        @Override
        public void close() {
            channel.shutdownNow();
        }
    }

    @Test
    void keyManagerRegistersAndShowsInTheTopologyAndAfterARestart() throws Exception {
        controller = StandaloneController.start(StandaloneControllerConfig.builder().tls(controllerTls).dataDir(data)
                .build());
        try (KmStream s = new KmStream(controller.sqPort(), kmsA, A)) {
            assertThat(s.received.poll(10, TimeUnit.SECONDS).hasHelloAck()).isTrue();
            Agents.eventually(() -> controller.keyManagementService().getKmNode(A).map(n -> n.getConnected())
                    .orElse(false));
        }
        controller.close();
        controller = StandaloneController.start(StandaloneControllerConfig.builder().tls(controllerTls).dataDir(data)
                .build());
        assertThat(controller.keyManagementService().getKmNode(A)).get()
                .satisfies(n -> assertThat(n.getConnected()).isFalse())
                .satisfies(n -> assertThat(n.getHello().getKmeId()).isEqualTo("kme"));
    }

    @Test
    void skAdmitsOnlyKeyManagersAndOnlyForTheirOwnNode() throws Exception {
        controller = StandaloneController.start(StandaloneControllerConfig.builder().tls(controllerTls).dataDir(data)
                .build());
        try (KmStream s = new KmStream(controller.sqPort(), agentA, A)) {
            assertThat(s.closed.get(10, TimeUnit.SECONDS).getCode()).as("a qkd-node certificate on Sk")
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
        }
        try (KmStream s = new KmStream(controller.sqPort(), kmsA, B)) {
            Status st = s.closed.get(10, TimeUnit.SECONDS);
            assertThat(st.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
            assertThat(st.getDescription()).startsWith("hello.qkdn_id");
        }
        try (Agents.Stream s = new Agents.Stream(controller.sqPort(), GrpcTls.channelCredentials(kmsA)).hello(A)) {
            assertThat(s.closed.get(10, TimeUnit.SECONDS).getCode()).as("a kms certificate on Sq")
                    .isEqualTo(Status.Code.PERMISSION_DENIED);
        }
    }

    @Test
    void keyRouteAdminAdmitsOnlyTheControllerRole() throws Exception {
        controller = StandaloneController.start(StandaloneControllerConfig.builder().tls(controllerTls).dataDir(data)
                .build());
        for (TlsFiles refused : new TlsFiles[] {kmsA, agentA}) {
            ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.sqPort(),
                    GrpcTls.channelCredentials(refused)).build();
            try {
                assertThatThrownBy(() -> KeyRouteAdminServiceGrpc.newBlockingStub(c)
                        .getKmTopology(GetKmTopologyRequest.getDefaultInstance()))
                        .satisfies(e -> assertThat(Status.fromThrowable(e).getCode())
                                .isEqualTo(Status.Code.PERMISSION_DENIED));
            } finally {
                c.shutdownNow();
            }
        }
        ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.sqPort(),
                GrpcTls.channelCredentials(Agents.issue(ca, pki, "operator-tool", Role.CONTROLLER))).build();
        try {
            assertThat(KeyRouteAdminServiceGrpc.newBlockingStub(c).getKmTopology(GetKmTopologyRequest.getDefaultInstance())
                    .getKmNodesCount()).isZero();
        } finally {
            c.shutdownNow();
        }
    }
}

package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

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
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ListKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.northbound.v1.WatchTopologyRequest;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;

/** Nc on the standalone controller's one port, over real mTLS; key services survive a restart. */
class StandaloneKeyServiceTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";

    @TempDir
    static Path pki;
    static DevCertificateAuthority ca;
    static TlsFiles controllerTls;
    static TlsFiles kmsA;

    @TempDir
    Path data;
    private StandaloneController controller;

    @BeforeAll
    static void certificates() throws Exception {
        ca = DevCertificateAuthority.create("test-provider");
        controllerTls = Agents.issue(ca, pki, "controller", Role.CONTROLLER);
        kmsA = Agents.issue(ca, pki, A, Role.KMS);
    }

    @AfterEach
    void stop() {
        if (controller != null) {
            controller.close();
        }
    }

    private StandaloneController start() throws Exception {
        return StandaloneController.start(StandaloneControllerConfig.builder().tls(controllerTls).dataDir(data).build());
    }

    @Test
    void ncAdmitsOnlyTheControllerRoleAndValidates() throws Exception {
        controller = start();
        ManagedChannel refused = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.sqPort(),
                GrpcTls.channelCredentials(kmsA)).build();
        try {
            assertThatThrownBy(() -> KeyServiceServiceGrpc.newBlockingStub(refused)
                    .listKeyServices(ListKeyServicesRequest.getDefaultInstance()))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED));
        } finally {
            refused.shutdownNow();
        }
        ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.sqPort(),
                GrpcTls.channelCredentials(Agents.issue(ca, pki, "operator-tool", Role.CONTROLLER))).build();
        try {
            var stub = KeyServiceServiceGrpc.newBlockingStub(c);
            assertThat(stub.listKeyServices(ListKeyServicesRequest.getDefaultInstance()).getServicesCount()).isZero();
            assertThat(stub.getTopology(org.qkdnf.proto.northbound.v1.GetTopologyRequest.getDefaultInstance())
                    .getLinksCount()).isZero();
            KeyServiceSpec spec = KeyServiceSpec.newBuilder().setMasterSaeId("sae-a").setMasterQkdnId(A)
                    .setSlaveSaeId("sae-b").setSlaveQkdnId(B).setProtection(Protection.PROTECTION_NONE)
                    .setQos(AppQos.newBuilder().setMinBandwidthBps(1000)).build();
            assertThatThrownBy(() -> stub.createKeyService(CreateKeyServiceRequest.getDefaultInstance()))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getDescription()).isEqualTo("spec: required"));
            assertThatThrownBy(() -> stub.createKeyService(CreateKeyServiceRequest.newBuilder().setSpec(spec).build()))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.NOT_FOUND))
                    .satisfies(e -> assertThat(Status.fromThrowable(e).getDescription()).contains("spec.master_qkdn_id"));
        } finally {
            c.shutdownNow();
        }
    }

    @Test
    void keyServicesComeBackAfterARestart() throws Exception {
        KeyService s = KeyService.newBuilder().setServiceId("5e000000-0000-4000-8000-000000000001")
                .setSpec(KeyServiceSpec.newBuilder().setMasterSaeId("sae-a").setMasterQkdnId(A).setSlaveSaeId("sae-b")
                        .setSlaveQkdnId(B).setProtection(Protection.PROTECTION_RESTORATION)
                        .setQos(AppQos.newBuilder().setMinBandwidthBps(1000)))
                .setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                .addRoutes(ServiceRoute.newBuilder().setRouteId("7e000000-0000-4000-8000-000000000001").addQkdnIds(A)
                        .addQkdnIds(B).addQkdlIds("ab000000-0000-4000-8000-0000000000ab").setInstalled(true))
                .build();
        controller = start();
        controller.close();
        try (MvStoreKeyServiceStore store = MvStoreKeyServiceStore.open(data)) {
            store.save(s);
        }
        controller = start();
        assertThat(controller.keyServiceManager().get(s.getServiceId())).contains(s);
        controller.close();
        controller = start();
        assertThat(controller.keyServiceManager().list()).containsExactly(s);
    }
    /** Nc topology watch over real mTLS: the snapshot first, then the changes as agents report. */
    @Test
    void topologyWatchSendsSnapshotThenChanges() throws Exception {
        controller = start();
        ManagedChannel c = Grpc.newChannelBuilderForAddress("127.0.0.1", controller.sqPort(),
                GrpcTls.channelCredentials(Agents.issue(ca, pki, "watch-tool", Role.CONTROLLER))).build();
        java.util.concurrent.BlockingQueue<WatchTopologyResponse> seen = new java.util.concurrent.LinkedBlockingQueue<>();
        try {
            KeyServiceServiceGrpc.newStub(c).watchTopology(WatchTopologyRequest.getDefaultInstance(),
                    new StreamObserver<WatchTopologyResponse>() {
                        @Override
                        public void onNext(WatchTopologyResponse r) {
                            seen.add(r);
                        }

                        @Override
                        public void onError(Throwable t) {
                        }

                        @Override
                        public void onCompleted() {
                        }
                    });
            WatchTopologyResponse first = seen.poll(10, java.util.concurrent.TimeUnit.SECONDS);
            assertThat(first).isNotNull();
            assertThat(first.hasSnapshot()).isTrue();
            assertThat(first.getSnapshot().getLinksCount()).isZero();

            String ab = "ab000000-0000-4000-8000-0000000000ab";
            controller.topologyAdminService().applyInventory(Agents.node(A, Agents.link(ab, A, B)));
            java.util.Set<String> nodes = new java.util.HashSet<>();
            String link = null;
            while (link == null || nodes.isEmpty()) {
                WatchTopologyResponse r = seen.poll(10, java.util.concurrent.TimeUnit.SECONDS);
                assertThat(r).as("a change within 10 s").isNotNull();
                if (r.hasNode()) {
                    nodes.add(r.getNode().getQkdnId());
                } else if (r.hasLink()) {
                    link = r.getLink().getQkdlId();
                }
            }
            assertThat(nodes).contains(A);
            assertThat(link).isEqualTo(ab);
        } finally {
            c.shutdownNow();
        }
    }
}

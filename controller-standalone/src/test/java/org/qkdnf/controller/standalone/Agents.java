package org.qkdnf.controller.standalone;

import java.nio.file.Path;
import java.time.Instant;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.google.protobuf.Timestamp;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.PhysPerf;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdInterface;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdLinkEnd;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdiStatus;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.QkdnStatus;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/** Test helpers: certificates, valid 015 messages, and a minimal agent stream over real TLS. */
final class Agents {

    private Agents() {
    }

    static org.qkdnf.common.tls.TlsFiles issue(DevCertificateAuthority ca, Path dir, String id,
                                                 DevCertificateAuthority.Role role) throws Exception {
        IssuedCredential c = ca.issue(id, role, "test-provider");
        IssuedCredential.PemFiles f = c.writeTo(dir, id.replace(':', '_') + "-" + role.ou());
        return new org.qkdnf.common.tls.TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    static String iface(String node, String link) {
        return java.util.UUID.nameUUIDFromBytes((node + link).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    static QkdLink link(String link, String local, String remote) {
        return QkdLink.newBuilder().setQkdlId(link).setQkdlEnable(true)
                .setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(local).setQkdiId(iface(local, link)))
                .setQkdlRemote(QkdLinkEnd.newBuilder().setQkdnId(remote).setQkdiId(iface(remote, link)))
                .setQkdlType(QkdlType.QKDL_TYPE_PHYS).setQkdlStatus(QkdlStatus.QKDL_STATUS_ACTIVE)
                .setPhysQkdRole(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER).setLengthKm(20).setPhysWavelengthNm(1550)
                .build();
    }

    static QkdNode node(String id, QkdLink... links) {
        QkdNode.Builder b = QkdNode.newBuilder().setQkdnId(id).setQkdnName("n-" + id.substring(0, 4))
                .setQkdnStatus(QkdnStatus.QKDN_STATUS_OPERATING);
        for (QkdLink l : links) {
            b.addQkdInterfaces(QkdInterface.newBuilder().setQkdiId(l.getQkdlLocal().getQkdiId())
                    .setQkdiStatus(QkdiStatus.QKDI_STATUS_UP));
            b.addQkdLinks(l);
        }
        return b.build();
    }

    static LinkPerformance perf(String link, double skr, double qber) {
        Instant now = Instant.now();
        return LinkPerformance.newBuilder().setQkdlId(link).setQkdlStatus(QkdlStatus.QKDL_STATUS_ACTIVE)
                .setSkrBps(skr).setPhysPerf(PhysPerf.newBuilder().setQber(qber))
                .setMeasuredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
    }

    /** One agent stream over a real channel. */
    static final class Stream implements StreamObserver<ConnectResponse>, AutoCloseable {
        final ManagedChannel channel;
        final BlockingQueue<ConnectResponse> received = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final StreamObserver<ConnectRequest> out;
        long seq;

        Stream(int port, ChannelCredentials credentials) {
            channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, credentials).build();
            out = QuantumLayerServiceGrpc.newStub(channel).connect(this);
        }

        Stream hello(String node) {
            return send(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setQkdnId(node)
                    .setAgentVersion("test").setAgentInstanceId("1")));
        }

        Stream inventory(QkdNode node) {
            return send(ConnectRequest.newBuilder().setInventory(Inventory.newBuilder().setQkdNode(node)));
        }

        Stream performance(LinkPerformance p) {
            return send(ConnectRequest.newBuilder().setPerformanceReport(PerformanceReport.newBuilder().addLinks(p)));
        }

        Stream send(ConnectRequest.Builder b) {
            out.onNext(b.setSeq(++seq).build());
            return this;
        }

        ConnectResponse next() throws InterruptedException {
            return received.poll(10, TimeUnit.SECONDS);
        }

        @Override
        public void onNext(ConnectResponse value) {
            received.add(value);
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
        public void close() throws InterruptedException {
            try {
                out.onCompleted();
            } catch (RuntimeException ignored) {
                // already closed
            }
            channel.shutdownNow();
            channel.awaitTermination(5, TimeUnit.SECONDS);
        }
    }

    static void eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 10 s");
            }
            Thread.sleep(10);
        }
    }
}

package org.qkdnf.controller.sq;

import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import io.grpc.Channel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.qkdnf.proto.southbound.v1.AgentCapabilities;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/** A scripted agent stream for tests: sends what it is told, records what comes back. */
final class TestAgent implements StreamObserver<ConnectResponse> {

    static final Metadata.Key<String> PEER = Metadata.Key.of("x-test-peer", Metadata.ASCII_STRING_MARSHALLER);

    final BlockingQueue<ConnectResponse> received = new LinkedBlockingQueue<>();
    final CompletableFuture<Status> closed = new CompletableFuture<>();
    private final StreamObserver<ConnectRequest> out;
    private long seq;

    /** @param certificateId the CN the test interceptor will present as the caller's identity */
    TestAgent(Channel channel, String certificateId) {
        Metadata md = new Metadata();
        md.put(PEER, certificateId);
        out = QuantumLayerServiceGrpc.newStub(channel)
                .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(md))
                .connect(this);
    }

    TestAgent send(ConnectRequest.Builder message) {
        out.onNext(message.setSeq(++seq).build());
        return this;
    }

    TestAgent sendWithSeq(long s, ConnectRequest.Builder message) {
        out.onNext(message.setSeq(s).build());
        seq = Math.max(seq, s);
        return this;
    }

    TestAgent hello(String qkdnId) {
        return send(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setQkdnId(qkdnId)
                .setAgentVersion("test").setAgentInstanceId("run-1")
                .setCapabilities(AgentCapabilities.newBuilder().setDriver("test"))));
    }

    TestAgent inventory(QkdNode node) {
        return send(ConnectRequest.newBuilder().setInventory(Inventory.newBuilder().setQkdNode(node)));
    }

    TestAgent performance(LinkPerformance... p) {
        return send(ConnectRequest.newBuilder().setPerformanceReport(
                PerformanceReport.newBuilder().addAllLinks(java.util.Arrays.asList(p))));
    }

    ConnectResponse next() throws InterruptedException {
        ConnectResponse r = received.poll(5, TimeUnit.SECONDS);
        if (r == null) {
            throw new AssertionError("no message from the controller within 5 s");
        }
        return r;
    }

    Status awaitClose() throws Exception {
        return closed.get(5, TimeUnit.SECONDS);
    }

    void complete() {
        out.onCompleted();
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
}

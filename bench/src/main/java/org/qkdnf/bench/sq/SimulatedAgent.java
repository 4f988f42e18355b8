package org.qkdnf.bench.sq;

import java.util.List;
import java.util.concurrent.CompletableFuture;

import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/**
 * One simulated qkd-agent: a single Sq stream that says Hello, sends its node's inventory, and
 * then performance reports listing every link of the node (one report = {@code degree} link
 * updates). Only what the controller needs is simulated; incoming commands are ignored.
 *
 * <p>Threads: the outbound side ({@code out}, {@code seq}, {@code keyVolume}) belongs to exactly
 * one thread at a time: the fleet's thread while connecting, then the pacer thread that owns this
 * agent during a step (handed over by {@code Thread.start}/{@code join}, which order the accesses).
 * The inbound callbacks run on a Netty event loop and only complete the futures.
 */
final class SimulatedAgent implements ClientResponseObserver<ConnectRequest, ConnectResponse> {

    private final String qkdnId;
    private final QkdNode inventory;
    private final List<String> linkIds;
    private final CompletableFuture<Void> helloAck = new CompletableFuture<>();
    private final CompletableFuture<Status> ended = new CompletableFuture<>();
    private ClientCallStreamObserver<ConnectRequest> out;
    private long seq;
    private long keyVolume;

    SimulatedAgent(RingTopology topology, int node) {
        this.qkdnId = topology.nodeId(node);
        this.inventory = topology.inventory(node);
        this.linkIds = topology.linkIdsOf(node);
    }

    String qkdnId() {
        return qkdnId;
    }

    /** Opens the stream and sends Hello; {@link #helloAck()} completes when the controller answers. */
    void open(QuantumLayerServiceGrpc.QuantumLayerServiceStub stub) {
        stub.connect(this); // sets out through beforeStart
        send(ConnectRequest.newBuilder().setHello(Hello.newBuilder().setQkdnId(qkdnId)
                .setAgentVersion("qkdnf-bench").setAgentInstanceId("bench-" + qkdnId.substring(0, 8))));
    }

    CompletableFuture<Void> helloAck() {
        return helloAck;
    }

    /** Completes with the status when the stream ends (it should not during a run). */
    CompletableFuture<Status> ended() {
        return ended;
    }

    void sendInventory() {
        send(ConnectRequest.newBuilder().setInventory(Inventory.newBuilder().setQkdNode(inventory)));
    }

    /** Whether gRPC would accept a message without buffering beyond its flow-control window. */
    boolean isReady() {
        return out.isReady() && !ended.isDone();
    }

    /**
     * Sends one report of every link of the node, all stamped {@code measuredAtMicros}.
     *
     * @return link updates sent (the node's degree)
     */
    int sendReport(long measuredAtMicros) {
        PerformanceReport.Builder report = PerformanceReport.newBuilder();
        keyVolume += 1200;
        for (int i = 0; i < linkIds.size(); i++) {
            report.addLinks(RingTopology.performance(linkIds.get(i), measuredAtMicros, keyVolume));
        }
        send(ConnectRequest.newBuilder().setPerformanceReport(report));
        return linkIds.size();
    }

    /** Half-closes the stream (the controller then ends it). */
    void close() {
        if (out != null && !ended.isDone()) {
            try {
                out.onCompleted();
            } catch (RuntimeException e) {
                // already cancelled: nothing left to close
            }
        }
    }

    private void send(ConnectRequest.Builder request) {
        out.onNext(request.setSeq(++seq).build());
    }

    @Override
    public void beforeStart(ClientCallStreamObserver<ConnectRequest> requestStream) {
        this.out = requestStream;
    }

    @Override
    public void onNext(ConnectResponse value) {
        if (value.hasHelloAck()) {
            helloAck.complete(null);
        }
    }

    @Override
    public void onError(Throwable t) {
        Status s = Status.fromThrowable(t);
        helloAck.completeExceptionally(s.asRuntimeException());
        ended.complete(s);
    }

    @Override
    public void onCompleted() {
        helloAck.completeExceptionally(new IllegalStateException("stream ended before HelloAck"));
        ended.complete(Status.OK);
    }
}

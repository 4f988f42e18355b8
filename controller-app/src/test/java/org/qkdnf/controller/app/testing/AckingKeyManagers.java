package org.qkdnf.controller.app.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.km.KeyManagementGrpcService;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.PoolReport;

/**
 * Key managers that acknowledge every command, connected over a real (in-process) Sk stream to one
 * instance's key-management manager, as controller-core's key-service tests script them. The kms
 * identity comes from a header (the mTLS interceptor needs TLS, which Sq's own tests cover).
 */
public final class AckingKeyManagers implements AutoCloseable {

    private static final Metadata.Key<String> PEER = Metadata.Key.of("test-peer", Metadata.ASCII_STRING_MARSHALLER);

    private final Server server;
    private final ManagedChannel channel;
    private final List<StreamObserver<ConnectRequest>> streams = new ArrayList<>();
    /** Node id, then the service id of every route it was told to install. */
    private final List<String> installs = new CopyOnWriteArrayList<>();

    /** Connects one acknowledging key manager per node and waits until each reported its pools. */
    public AckingKeyManagers(KeyManagementManager km, List<String> nodes) throws Exception {
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(new KeyManagementGrpcService(km, "test-controller"),
                        new IdentityFromHeader()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        for (String n : nodes) {
            Kms k = new Kms(n);
            k.acked.get(5, TimeUnit.SECONDS);
            k.send(ConnectRequest.newBuilder().setPoolReport(PoolReport.getDefaultInstance()));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
            while (!km.getKmNode(n).map(x -> x.hasPoolReport()).orElse(false)) {
                if (System.nanoTime() > deadline) {
                    throw new AssertionError("key manager " + n + " did not register");
                }
                Thread.sleep(5);
            }
        }
    }

    /** {@code node + " " + service id} of every InstallRoute acknowledged so far, in arrival order. */
    public List<String> installs() {
        return installs;
    }

    @Override
    public void close() {
        channel.shutdownNow();
        server.shutdownNow();
    }

    private static final class IdentityFromHeader implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            Context ctx = Context.current().withValue(PeerIdentity.CONTEXT_KEY,
                    new PeerIdentity(headers.get(PEER), "kms", "test"));
            return Contexts.interceptCall(ctx, call, headers, next);
        }
    }

    private final class Kms implements StreamObserver<ConnectResponse> {
        final CompletableFuture<Void> acked = new CompletableFuture<>();
        final AtomicLong seq = new AtomicLong();
        final StreamObserver<ConnectRequest> out;
        final String node;

        Kms(String node) {
            this.node = node;
            Metadata h = new Metadata();
            h.put(PEER, node);
            out = KeyManagementServiceGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)).connect(this);
            streams.add(out);
            send(ConnectRequest.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(node).setKmeId("kme-" + node)
                    .setEtsi014Address("127.0.0.1:8443")));
        }

        synchronized void send(ConnectRequest.Builder r) {
            out.onNext(r.setSeq(seq.incrementAndGet()).build());
        }

        @Override
        public void onNext(ConnectResponse r) {
            if (r.hasHelloAck()) {
                acked.complete(null);
            } else {
                if (r.getCommand().hasInstallRoute()) {
                    installs.add(node + " " + r.getCommand().getInstallRoute().getRoute().getServiceId());
                }
                send(ConnectRequest.newBuilder().setCommandResult(CommandResult.newBuilder()
                        .setRequestId(r.getCommand().getRequestId())
                        .setResult(OperationResult.newBuilder().setCode(Status.Code.OK.value()).setMessage("ok"))));
            }
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}

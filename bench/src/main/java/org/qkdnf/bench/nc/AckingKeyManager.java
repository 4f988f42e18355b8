package org.qkdnf.bench.nc;

import java.util.concurrent.atomic.AtomicLong;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.CommandResults;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsHello;

/**
 * {@code --kms acking}: the Sk side of a key manager reduced to what the controller needs from it,
 * over the same mTLS Sk stream as a real one (its own KMS certificate and connection): Hello, then
 * an OK answer to every command at once (a batch of commands gets one batch of results), executing nothing. It isolates the controller's own
 * setup and recovery cost from the key managers' (see bench/README.md); the figures with real
 * kms-agents are the ones the goals are about.
 *
 * <p>Threads: answers on gRPC's callback thread; {@code send} is synchronized (one writer at a time).
 */
final class AckingKeyManager implements AutoCloseable {

    private final ManagedChannel channel;
    private final StreamObserver<ConnectRequest> out;
    private final AtomicLong seq = new AtomicLong();

    AckingKeyManager(String qkdnId, int controllerPort, TlsFiles tls) {
        channel = NettyChannelBuilder.forAddress("127.0.0.1", controllerPort, GrpcTls.channelCredentials(tls)).build();
        out = KeyManagementServiceGrpc.newStub(channel).connect(new StreamObserver<ConnectResponse>() {
            @Override
            public void onNext(ConnectResponse r) {
                if (r.hasCommand()) {
                    send(ConnectRequest.newBuilder().setCommandResult(ok(r.getCommand())));
                } else if (r.hasCommands()) {
                    CommandResults.Builder results = CommandResults.newBuilder();
                    r.getCommands().getCommandsList().forEach(c -> results.addResults(ok(c)));
                    send(ConnectRequest.newBuilder().setCommandResults(results));
                }
            }

            @Override
            public void onError(Throwable t) {
            }

            @Override
            public void onCompleted() {
            }
        });
        send(ConnectRequest.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(qkdnId).setKmeId("kme-" + qkdnId)
                .setEtsi014Address("127.0.0.1:1").setAcceptsCommandBatches(true)));
    }

    private static CommandResult ok(KmsCommand c) {
        return CommandResult.newBuilder().setRequestId(c.getRequestId())
                .setResult(OperationResult.newBuilder().setCode(Status.Code.OK.value()).setMessage("ok")).build();
    }

    private synchronized void send(ConnectRequest.Builder r) {
        out.onNext(r.setSeq(seq.incrementAndGet()).build());
    }

    @Override
    public void close() {
        channel.shutdownNow();
    }
}

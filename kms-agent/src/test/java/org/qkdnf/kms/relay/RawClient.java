package org.qkdnf.kms.relay;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.proto.keyrelay.v1.KeyRelayServiceGrpc;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;

/** Sends hand-made relay messages over mTLS, as a neighbour (or an attacker holding its certificate) could. */
final class RawClient {

    private RawClient() {
    }

    static RelayHopResponse sendOne(TlsFiles tls, int port, RelayHopRequest request) throws Exception {
        ManagedChannel channel = Grpc.newChannelBuilderForAddress("127.0.0.1", port, GrpcTls.channelCredentials(tls))
                .build();
        try {
            CompletableFuture<RelayHopResponse> first = new CompletableFuture<>();
            StreamObserver<RelayHopRequest> requests = KeyRelayServiceGrpc.newStub(channel)
                    .withDeadlineAfter(20, TimeUnit.SECONDS)
                    .relayHop(new StreamObserver<>() {
                        @Override
                        public void onNext(RelayHopResponse value) {
                            first.complete(value);
                        }

                        @Override
                        public void onError(Throwable t) {
                            first.completeExceptionally(t);
                        }

                        @Override
                        public void onCompleted() {
                            first.completeExceptionally(new IllegalStateException("no response"));
                        }
                    });
            requests.onNext(request);
            requests.onCompleted();
            return first.get(20, TimeUnit.SECONDS);
        } finally {
            channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
    }
}

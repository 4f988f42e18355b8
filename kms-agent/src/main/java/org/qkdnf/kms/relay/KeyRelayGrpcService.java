package org.qkdnf.kms.relay;

import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.proto.keyrelay.v1.KeyRelayServiceGrpc;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;

/**
 * Kk server: one {@link HopReceiver} behind every incoming stream. gRPC delivers a stream's
 * messages one at a time, in order, so they are handled (their ranges consumed) in the order the
 * sender reserved them. Results go back as they complete, which for forwarded messages is when
 * the rest of the route has answered.
 */
final class KeyRelayGrpcService extends KeyRelayServiceGrpc.KeyRelayServiceImplBase {

    private final HopReceiver receiver;

    KeyRelayGrpcService(HopReceiver receiver) {
        this.receiver = receiver;
    }

    @Override
    public StreamObserver<RelayHopRequest> relayHop(StreamObserver<RelayHopResponse> responses) {
        PeerIdentity caller = PeerIdentity.current().orElse(null);
        if (caller == null) {  // PeerIdentityInterceptor lets no such call through; be safe anyway
            responses.onError(Status.UNAUTHENTICATED.withDescription("no client certificate").asRuntimeException());
            return new NoopObserver();
        }
        return new Inbound(caller, (ServerCallStreamObserver<RelayHopResponse>) responses);
    }

    private final class Inbound implements StreamObserver<RelayHopRequest> {
        private final PeerIdentity caller;
        private final ServerCallStreamObserver<RelayHopResponse> out;
        /** Messages handled but not answered yet, plus one while the inbound side is open. */
        private final AtomicInteger open = new AtomicInteger(1);
        private boolean finished;  // guarded by out

        Inbound(PeerIdentity caller, ServerCallStreamObserver<RelayHopResponse> out) {
            this.caller = caller;
            this.out = out;
        }

        @Override
        public void onNext(RelayHopRequest request) {
            open.incrementAndGet();
            receiver.handle(request, caller).whenComplete((response, t) -> {
                synchronized (out) {
                    if (!finished && !out.isCancelled() && response != null) {
                        out.onNext(response);
                    }
                }
                release();
            });
        }

        @Override
        public void onError(Throwable t) {
            // The sender went away; forwarded messages still finish downstream, their results are dropped.
            synchronized (out) {
                finished = true;
            }
        }

        @Override
        public void onCompleted() {
            release();
        }

        private void release() {
            if (open.decrementAndGet() == 0) {
                synchronized (out) {
                    if (!finished && !out.isCancelled()) {
                        finished = true;
                        out.onCompleted();
                    }
                }
            }
        }
    }

    private static final class NoopObserver implements StreamObserver<RelayHopRequest> {
        @Override
        public void onNext(RelayHopRequest value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}

package org.qkdnf.kms.relay;

import java.util.concurrent.atomic.AtomicReference;
import java.util.function.UnaryOperator;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.MethodDescriptor;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;

/**
 * Rewrites the next relay message a node sends once {@code mutation} is set (then clears it), as
 * an attacker on the link could; a mutation that returns its argument only spies.
 */
final class Tamper implements ClientInterceptor {

    final AtomicReference<UnaryOperator<RelayHopRequest>> mutation = new AtomicReference<>();

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            @SuppressWarnings("unchecked")
            public void sendMessage(Q message) {
                UnaryOperator<RelayHopRequest> m = mutation.getAndSet(null);
                super.sendMessage(m == null ? message : (Q) m.apply((RelayHopRequest) message));
            }
        };
    }
}

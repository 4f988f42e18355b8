package org.qkdnf.kms.relay;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import io.grpc.CallOptions;
import io.grpc.Channel;
import io.grpc.ClientCall;
import io.grpc.ClientInterceptor;
import io.grpc.ForwardingClientCall;
import io.grpc.ForwardingClientCallListener;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.Status;
import org.qkdnf.common.tls.PeerIdentity;

/**
 * Client side of the identity check: the server a sender talks to must present a kms certificate
 * whose CN is the neighbour it means to reach, not merely any certificate of the CA valid for the
 * address. Otherwise the call is cancelled with PERMISSION_DENIED. (Confidentiality does not
 * depend on it, the payload being one-time-pad encrypted, but key would be spent on a node that
 * cannot use it.)
 */
final class ServerIdentityCheck implements ClientInterceptor {

    private final String expectedId;

    ServerIdentityCheck(String expectedId) {
        this.expectedId = expectedId;
    }

    @Override
    public <Q, R> ClientCall<Q, R> interceptCall(MethodDescriptor<Q, R> method, CallOptions options, Channel next) {
        return new ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, Metadata headers) {
                ClientCall<Q, R> call = this;
                super.start(new ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                    /** Set when the server is not the expected one: nothing it sends is passed on. */
                    private volatile boolean rejected;

                    @Override
                    public void onHeaders(Metadata responseHeaders) {
                        Optional<PeerIdentity> id = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
                        if (id.isEmpty() || !"kms".equals(id.get().role()) || !expectedId.equals(id.get().id())) {
                            rejected = true;
                            call.cancel("server is " + id.map(PeerIdentity::toString).orElse("unidentified")
                                    + ", expected the kms of node " + expectedId,
                                    Status.PERMISSION_DENIED.asRuntimeException());
                            return;
                        }
                        super.onHeaders(responseHeaders);
                    }

                    @Override
                    public void onMessage(R message) {
                        if (!rejected) {
                            super.onMessage(message);
                        }
                    }
                }, headers);
            }
        };
    }

    private static Optional<PeerIdentity> identityOf(SSLSession session) {
        if (session == null) {
            return Optional.empty();
        }
        try {
            Certificate[] chain = session.getPeerCertificates();
            if (chain.length == 0 || !(chain[0] instanceof X509Certificate)) {
                return Optional.empty();
            }
            return PeerIdentity.fromCertificate((X509Certificate) chain[0]);
        } catch (SSLPeerUnverifiedException e) {
            return Optional.empty();
        }
    }
}

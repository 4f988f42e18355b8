package org.qkdnf.common.tls;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.Optional;
import java.util.Set;

import javax.net.ssl.SSLPeerUnverifiedException;
import javax.net.ssl.SSLSession;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Grpc;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;

/**
 * Authenticates every call by its TLS client certificate and exposes the caller's
 * {@link PeerIdentity} in the call's {@link Context}. Calls without a verified certificate, or
 * from a role this server does not serve, are closed with {@code UNAUTHENTICATED} or
 * {@code PERMISSION_DENIED} before any handler sees them.
 */
public final class PeerIdentityInterceptor implements ServerInterceptor {

    private final Set<String> allowedRoles;

    /** @param allowedRoles certificate OUs allowed to call this server */
    public PeerIdentityInterceptor(Set<String> allowedRoles) {
        this.allowedRoles = Set.copyOf(allowedRoles);
    }

    @Override
    public <Q, R> ServerCall.Listener<Q> interceptCall(
            ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        Optional<PeerIdentity> identity = identityOf(call.getAttributes().get(Grpc.TRANSPORT_ATTR_SSL_SESSION));
        if (identity.isEmpty()) {
            call.close(Status.UNAUTHENTICATED.withDescription(
                    "a client certificate with subject CN, OU and O is required"), new Metadata());
            return new ServerCall.Listener<Q>() { };
        }
        if (!allowedRoles.contains(identity.get().role())) {
            call.close(Status.PERMISSION_DENIED.withDescription(
                    "certificate role '" + identity.get().role() + "' may not call this service"),
                    new Metadata());
            return new ServerCall.Listener<Q>() { };
        }
        Context context = Context.current().withValue(PeerIdentity.CONTEXT_KEY, identity.get());
        return Contexts.interceptCall(context, call, headers, next);
    }

    static Optional<PeerIdentity> identityOf(SSLSession session) {
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

package org.qkdnf.controller.km;

import java.util.Set;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import org.qkdnf.common.tls.PeerIdentityInterceptor;

/**
 * Wraps the Sk services in their identity interceptors, so that a host adds them to the server
 * it already runs for Sq (same port, same mTLS): each service admits only its roles, whatever
 * roles the others admit.
 */
public final class SkServerFactory {

    /** Certificate OU of key managers (CN: their qkdn_id). */
    public static final String KMS_ROLE = "kms";
    /**
     * Who may pin key routes: operators' tools holding the provider's controller certificate, or an
     * operator certificate where the provider's CA issues them.
     */
    public static final Set<String> ADMIN_ROLES = Set.of("controller", "operator");

    private SkServerFactory() {
    }

    /** The Sk stream service, admitting role {@value #KMS_ROLE} only. */
    public static ServerServiceDefinition interceptedService(KeyManagementGrpcService service) {
        return ServerInterceptors.intercept(service, new PeerIdentityInterceptor(Set.of(KMS_ROLE)));
    }

    /** The key-route northbound, admitting {@link #ADMIN_ROLES} only. */
    public static ServerServiceDefinition interceptedAdmin(KeyRouteAdminGrpcService service) {
        return ServerInterceptors.intercept(service, new PeerIdentityInterceptor(ADMIN_ROLES));
    }
}

package org.qkdnf.common.tls;

import java.security.cert.X509Certificate;
import java.util.Objects;
import java.util.Optional;

import javax.naming.InvalidNameException;
import javax.naming.ldap.LdapName;
import javax.naming.ldap.Rdn;

import io.grpc.Context;

/**
 * Who is on the other end of a TLS connection, read from its verified certificate: subject CN is
 * the entity's id, OU its role, O its provider (the convention of the suite's CA). Immutable.
 */
public final class PeerIdentity {

    /** Set by {@link PeerIdentityInterceptor} for the duration of each authenticated call. */
    public static final Context.Key<PeerIdentity> CONTEXT_KEY = Context.key("qkdnf-peer-identity");

    private final String id;
    private final String role;
    private final String provider;

    public PeerIdentity(String id, String role, String provider) {
        this.id = Objects.requireNonNull(id, "id");
        this.role = Objects.requireNonNull(role, "role");
        this.provider = Objects.requireNonNull(provider, "provider");
    }

    /**
     * Reads the identity from a certificate's subject.
     *
     * @return empty when the subject lacks CN, OU or O
     */
    public static Optional<PeerIdentity> fromCertificate(X509Certificate certificate) {
        String dn = certificate.getSubjectX500Principal().getName();
        String cn = null;
        String ou = null;
        String o = null;
        try {
            for (Rdn rdn : new LdapName(dn).getRdns()) {
                String value = String.valueOf(rdn.getValue());
                switch (rdn.getType().toUpperCase(java.util.Locale.ROOT)) {
                    case "CN": cn = value; break;
                    case "OU": ou = value; break;
                    case "O": o = value; break;
                    default: break;
                }
            }
        } catch (InvalidNameException e) {
            return Optional.empty();
        }
        if (cn == null || ou == null || o == null) {
            return Optional.empty();
        }
        return Optional.of(new PeerIdentity(cn, ou, o));
    }

    /** The identity of the caller of the current gRPC call, if authenticated. */
    public static Optional<PeerIdentity> current() {
        return Optional.ofNullable(CONTEXT_KEY.get());
    }

    /** Subject CN: a qkdn_id, an SAE id, "controller", ... */
    public String id() {
        return id;
    }

    /** Subject OU, for example "qkd-node". */
    public String role() {
        return role;
    }

    /** Subject O: the provider that operates the peer. */
    public String provider() {
        return provider;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof PeerIdentity)) {
            return false;
        }
        PeerIdentity that = (PeerIdentity) o;
        return id.equals(that.id) && role.equals(that.role) && provider.equals(that.provider);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, role, provider);
    }

    @Override
    public String toString() {
        return role + ":" + id + "@" + provider;
    }
}

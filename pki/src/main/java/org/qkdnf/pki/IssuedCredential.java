package org.qkdnf.pki;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;

/** A certificate with its private key and the CA certificate that signed it. */
public final class IssuedCredential {

    private final X509Certificate certificate;
    private final KeyPair keys;
    private final X509Certificate caCertificate;

    IssuedCredential(X509Certificate certificate, KeyPair keys, X509Certificate caCertificate) {
        this.certificate = certificate;
        this.keys = keys;
        this.caCertificate = caCertificate;
    }

    public X509Certificate certificate() {
        return certificate;
    }

    public KeyPair keys() {
        return keys;
    }

    public X509Certificate caCertificate() {
        return caCertificate;
    }

    /**
     * Writes {@code <name>.crt.pem}, {@code <name>.key.pem} (PKCS#8, owner-only) and {@code ca.pem}
     * into {@code dir}, each atomically, and returns where they are.
     */
    public PemFiles writeTo(Path dir, String name) throws IOException {
        Files.createDirectories(dir);
        Path cert = dir.resolve(name + ".crt.pem");
        Path key = dir.resolve(name + ".key.pem");
        Path ca = dir.resolve("ca.pem");
        DevCertificateAuthority.writeAtomically(cert, DevCertificateAuthority.pem(certificate), false);
        DevCertificateAuthority.writeAtomically(key, DevCertificateAuthority.pem(keys.getPrivate()), true);
        DevCertificateAuthority.writeAtomically(ca, DevCertificateAuthority.pem(caCertificate), false);
        return new PemFiles(cert, key, ca);
    }

    /** Paths of a written credential: certificate chain, PKCS#8 private key, trusted CA. */
    public record PemFiles(Path certificateChain, Path privateKey, Path trustedCa) {
    }
}

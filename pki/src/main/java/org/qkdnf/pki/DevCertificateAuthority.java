package org.qkdnf.pki;

import java.io.IOException;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Objects;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x500.X500NameBuilder;
import org.bouncycastle.asn1.x500.style.BCStyle;
import org.bouncycastle.asn1.x509.BasicConstraints;
import org.bouncycastle.asn1.x509.ExtendedKeyUsage;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.GeneralName;
import org.bouncycastle.asn1.x509.GeneralNames;
import org.bouncycastle.asn1.x509.KeyPurposeId;
import org.bouncycastle.asn1.x509.KeyUsage;
import org.bouncycastle.cert.X509v3CertificateBuilder;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.OperatorCreationException;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;

/**
 * A development certificate authority: EC P-256 keys, ECDSA-SHA256 signatures, certificates
 * valid for localhost and 127.0.0.1.
 *
 * <p>Identities follow one convention across the suite, read back by
 * {@code org.qkdnf.common.tls.PeerIdentity}: subject {@code CN} is the entity's id (a QKD node's
 * {@code qkdn_id}, an SAE id, "controller"), {@code OU} is its role (see {@link Role}), and
 * {@code O} is the provider that operates it.
 *
 * <p>Not for production: the CA key sits in memory and, when {@link #writeTo} is used, in a file
 * readable only by its owner. Thread-safe: issuing is synchronized on the serial counter.
 */
public final class DevCertificateAuthority {

    /** The roles the suite's certificates carry in their OU. */
    public enum Role {
        CONTROLLER("controller"),
        QKD_NODE("qkd-node"),
        KMS("kms"),
        SAE("sae"),
        GATEWAY("gateway");

        private final String ou;

        Role(String ou) {
            this.ou = ou;
        }

        /** The OU value written into certificates. */
        public String ou() {
            return ou;
        }
    }

    private static final String SIGNATURE_ALGORITHM = "SHA256withECDSA";
    private static final Duration VALIDITY = Duration.ofDays(365);
    private static final Duration CLOCK_SKEW = Duration.ofMinutes(5);

    private final KeyPair caKeys;
    private final X509Certificate caCertificate;
    private final SecureRandom random = new SecureRandom();
    private long nextSerial = 2;

    private DevCertificateAuthority(KeyPair caKeys, X509Certificate caCertificate) {
        this.caKeys = caKeys;
        this.caCertificate = caCertificate;
    }

    /** Creates a new self-signed CA named {@code "qkdnf development CA (<provider>)"}. */
    public static DevCertificateAuthority create(String provider) {
        Objects.requireNonNull(provider, "provider");
        try {
            KeyPair keys = newKeyPair();
            X500Name name = name("qkdnf development CA (" + provider + ")", "ca", provider);
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    name, BigInteger.ONE, Date.from(now.minus(CLOCK_SKEW)),
                    Date.from(now.plus(VALIDITY)), name, keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(0));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.keyCertSign | KeyUsage.cRLSign));
            builder.addExtension(Extension.subjectKeyIdentifier, false,
                    ext.createSubjectKeyIdentifier(keys.getPublic()));
            return new DevCertificateAuthority(keys, sign(builder, keys));
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot create development CA", e);
        }
    }

    /** The CA certificate, which every party trusts. */
    public X509Certificate certificate() {
        return caCertificate;
    }

    /**
     * Issues a certificate for both TLS client and server use.
     *
     * @param id       subject CN, the entity's id
     * @param role     subject OU
     * @param provider subject O
     */
    public synchronized IssuedCredential issue(String id, Role role, String provider) {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(role, "role");
        Objects.requireNonNull(provider, "provider");
        try {
            KeyPair keys = newKeyPair();
            Instant now = Instant.now();
            X509v3CertificateBuilder builder = new JcaX509v3CertificateBuilder(
                    caCertificate, BigInteger.valueOf(nextSerial++), Date.from(now.minus(CLOCK_SKEW)),
                    Date.from(now.plus(VALIDITY)), name(id, role.ou(), provider), keys.getPublic());
            JcaX509ExtensionUtils ext = new JcaX509ExtensionUtils();
            builder.addExtension(Extension.basicConstraints, true, new BasicConstraints(false));
            builder.addExtension(Extension.keyUsage, true,
                    new KeyUsage(KeyUsage.digitalSignature | KeyUsage.keyAgreement));
            builder.addExtension(Extension.extendedKeyUsage, false, new ExtendedKeyUsage(
                    new KeyPurposeId[] {KeyPurposeId.id_kp_serverAuth, KeyPurposeId.id_kp_clientAuth}));
            builder.addExtension(Extension.subjectAlternativeName, false, new GeneralNames(
                    new GeneralName[] {
                        new GeneralName(GeneralName.dNSName, "localhost"),
                        new GeneralName(GeneralName.iPAddress, "127.0.0.1")
                    }));
            builder.addExtension(Extension.authorityKeyIdentifier, false,
                    ext.createAuthorityKeyIdentifier(caCertificate));
            X509Certificate cert = sign(builder, caKeys);
            return new IssuedCredential(cert, keys, caCertificate);
        } catch (GeneralSecurityException | IOException | OperatorCreationException e) {
            throw new IllegalStateException("cannot issue certificate for " + id, e);
        }
    }

    /** Writes the CA certificate as {@code ca.pem} into {@code dir}. */
    public Path writeCaCertificate(Path dir) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve("ca.pem");
        writeAtomically(file, pem(caCertificate), false);
        return file;
    }

    static String pem(Object object) throws IOException {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            if (object instanceof java.security.PrivateKey) {
                writer.writeObject(new JcaPKCS8Generator((java.security.PrivateKey) object, null));
            } else {
                writer.writeObject(object);
            }
        }
        return out.toString();
    }

    static void writeAtomically(Path file, String content, boolean secret) throws IOException {
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        Files.writeString(tmp, content, StandardCharsets.US_ASCII);
        if (secret) {
            try {
                Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
            } catch (UnsupportedOperationException ignored) {
                // Not a POSIX file system: the directory's own protection has to do.
            }
        }
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    }

    private static X500Name name(String cn, String ou, String o) {
        return new X500NameBuilder(BCStyle.INSTANCE)
                .addRDN(BCStyle.O, o).addRDN(BCStyle.OU, ou).addRDN(BCStyle.CN, cn).build();
    }

    private static KeyPair newKeyPair() throws GeneralSecurityException {
        KeyPairGenerator gen = KeyPairGenerator.getInstance("EC");
        gen.initialize(new ECGenParameterSpec("secp256r1"));
        return gen.generateKeyPair();
    }

    private static X509Certificate sign(X509v3CertificateBuilder builder, KeyPair signer)
            throws OperatorCreationException, GeneralSecurityException {
        ContentSigner contentSigner =
                new JcaContentSignerBuilder(SIGNATURE_ALGORITHM).build(signer.getPrivate());
        return new JcaX509CertificateConverter().getCertificate(builder.build(contentSigner));
    }
}

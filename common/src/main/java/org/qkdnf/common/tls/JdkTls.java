package org.qkdnf.common.tls;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.Collection;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * A JDK {@link SSLContext} from the suite's PEM files, for HTTPS clients (the JDK's HttpClient)
 * that present a client certificate: ETSI GS QKD 014 SAEs, load drivers, tests.
 */
public final class JdkTls {

    private static final char[] NO_PASSWORD = new char[0];

    private JdkTls() {
    }

    /** A context that presents {@code files}' certificate and trusts only its CA. */
    public static SSLContext clientContext(TlsFiles files) throws IOException, GeneralSecurityException {
        files.requireReadable();
        CertificateFactory x509 = CertificateFactory.getInstance("X.509");
        Collection<? extends Certificate> chain;
        try (InputStream in = Files.newInputStream(files.certificateChain())) {
            chain = x509.generateCertificates(in);
        }
        Collection<? extends Certificate> cas;
        try (InputStream in = Files.newInputStream(files.trustedCa())) {
            cas = x509.generateCertificates(in);
        }
        KeyStore keys = KeyStore.getInstance("PKCS12");
        keys.load(null, null);
        keys.setKeyEntry("client", privateKey(Files.readString(files.privateKey(), StandardCharsets.US_ASCII)),
                NO_PASSWORD, chain.toArray(new Certificate[0]));
        KeyStore trust = KeyStore.getInstance("PKCS12");
        trust.load(null, null);
        int i = 0;
        for (Certificate ca : cas) {
            trust.setCertificateEntry("ca" + i++, ca);
        }
        KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
        kmf.init(keys, NO_PASSWORD);
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(trust);
        SSLContext ctx = SSLContext.getInstance("TLS");
        ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
        return ctx;
    }

    /** An unencrypted PKCS#8 PEM private key (EC or RSA). */
    static PrivateKey privateKey(String pem) throws GeneralSecurityException {
        String begin = "-----BEGIN PRIVATE KEY-----";
        int from = pem.indexOf(begin);
        int to = pem.indexOf("-----END PRIVATE KEY-----");
        if (from < 0 || to < 0) {
            throw new InvalidKeySpecException("not an unencrypted PKCS#8 PEM private key");
        }
        byte[] der = Base64.getMimeDecoder().decode(pem.substring(from + begin.length(), to));
        PKCS8EncodedKeySpec spec = new PKCS8EncodedKeySpec(der);
        for (String algorithm : new String[] {"EC", "RSA", "Ed25519"}) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec);
            } catch (InvalidKeySpecException e) {
                // try the next algorithm
            }
        }
        throw new InvalidKeySpecException("unsupported private key algorithm");
    }
}

package org.qkdnf.common.tls;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Objects;

/**
 * Where a party's TLS material lives: its certificate chain and PKCS#8 private key (PEM), and
 * the CA certificates it trusts for its peers. Immutable.
 */
public final class TlsFiles {

    private final Path certificateChain;
    private final Path privateKey;
    private final Path trustedCa;

    public TlsFiles(Path certificateChain, Path privateKey, Path trustedCa) {
        this.certificateChain = Objects.requireNonNull(certificateChain, "certificateChain");
        this.privateKey = Objects.requireNonNull(privateKey, "privateKey");
        this.trustedCa = Objects.requireNonNull(trustedCa, "trustedCa");
    }

    public Path certificateChain() {
        return certificateChain;
    }

    public Path privateKey() {
        return privateKey;
    }

    public Path trustedCa() {
        return trustedCa;
    }

    /**
     * Checks that each file exists and is readable.
     *
     * @throws IllegalArgumentException naming the first file that is not
     */
    public TlsFiles requireReadable() {
        check("certificate chain", certificateChain);
        check("private key", privateKey);
        check("trusted CA", trustedCa);
        return this;
    }

    private static void check(String what, Path file) {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(what + " file is not readable: " + file);
        }
    }

    @Override
    public String toString() {
        return "TlsFiles{cert=" + certificateChain + ", key=" + privateKey + ", ca=" + trustedCa + "}";
    }
}

package org.qkdnf.bench.sq;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;

/**
 * A throw-away development CA for one load run: the controller's certificate and one QKD_NODE
 * certificate per simulated agent (the controller takes an agent's node id from its certificate,
 * so agents cannot share one). Everything is written as PEM into a private temporary directory
 * (keys owner-only, by {@link IssuedCredential#writeTo}) that {@link #close} deletes. Paths are never
 * logged with their contents; nothing here prints key material.
 *
 * <p>Threads: {@link #agent} may be called from several threads (the CA serialises issuing).
 */
public final class BenchPki implements AutoCloseable {

    private static final String PROVIDER = "bench-provider";

    private final Path dir;
    private final DevCertificateAuthority ca;
    private final TlsFiles controller;

    private BenchPki(Path dir) throws IOException {
        this.dir = dir;
        this.ca = DevCertificateAuthority.create(PROVIDER);
        this.controller = write(ca.issue("controller", Role.CONTROLLER, PROVIDER), "controller");
    }

    /** A fresh CA in a new temporary directory. */
    public static BenchPki create() throws IOException {
        return new BenchPki(Files.createTempDirectory("qkdnf-bench-pki"));
    }

    public TlsFiles controller() {
        return controller;
    }

    /** Issues and writes the certificate of the agent of {@code qkdnId}. */
    public TlsFiles agent(String qkdnId) {
        try {
            return write(ca.issue(qkdnId, Role.QKD_NODE, PROVIDER), "agent-" + qkdnId);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** Issues and writes a certificate of {@code role} for {@code id} (a key manager, an Nc client). */
    public TlsFiles issue(String id, Role role) {
        try {
            return write(ca.issue(id, role, PROVIDER), role.ou() + "-" + id);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private TlsFiles write(IssuedCredential credential, String name) throws IOException {
        IssuedCredential.PemFiles f = credential.writeTo(dir, name);
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    /** Deletes the directory and every key in it. */
    @Override
    public void close() throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}

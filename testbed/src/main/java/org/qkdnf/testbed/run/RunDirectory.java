package org.qkdnf.testbed.run;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;

import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.IssuedCredential;

/**
 * The files of one testbed run:
 * <pre>
 * &lt;run-dir&gt;/
 *   scenario.yaml                  the scenario that ran (a copy)
 *   testbed.log                    controller and agent logs
 *   report.json                    the final report
 *   &lt;provider_id&gt;/
 *     ca.pem                       the provider's development CA certificate
 *     controller/controller.{crt,key}.pem, ca.pem
 *     controller/data/             the controller's crash-safe store (controller.mv.db)
 *     nodes/&lt;node&gt;/&lt;node&gt;.{crt,key}.pem, ca.pem
 * </pre>
 * Owned by the thread that prepares a run.
 */
public final class RunDirectory {

    /** Where runs go when no directory is given, relative to the working directory. */
    public static final Path DEFAULT_PARENT = Path.of("testbed-run");

    private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");

    private final Path root;

    private RunDirectory(Path root) {
        this.root = root;
    }

    /**
     * Creates {@code dir}, which must not exist or be empty: a run never mixes its certificates or
     * its controller store with another run's.
     */
    public static RunDirectory create(Path dir) throws IOException {
        Path abs = dir.toAbsolutePath().normalize();
        if (Files.exists(abs)) {
            if (!Files.isDirectory(abs)) {
                throw new IOException("run directory " + abs + " is a file");
            }
            try (Stream<Path> entries = Files.list(abs)) {
                if (entries.findAny().isPresent()) {
                    throw new IOException("run directory " + abs + " is not empty; give a new or empty one");
                }
            }
        }
        Files.createDirectories(abs);
        return new RunDirectory(abs);
    }

    /** A fresh directory {@code testbed-run/<scenario>-<UTC time>} (suffixed if taken). */
    public static RunDirectory createDefault(String scenarioName) throws IOException {
        String base = scenarioName + "-" + LocalDateTime.now(ZoneOffset.UTC).format(STAMP);
        Path dir = DEFAULT_PARENT.resolve(base);
        for (int i = 2; Files.exists(dir); i++) {
            dir = DEFAULT_PARENT.resolve(base + "-" + i);
        }
        return create(dir);
    }

    public Path root() {
        return root;
    }

    public Path scenarioFile() {
        return root.resolve("scenario.yaml");
    }

    public Path logFile() {
        return root.resolve("testbed.log");
    }

    public Path reportFile() {
        return root.resolve("report.json");
    }

    public Path providerDir(String providerId) {
        return root.resolve(providerId);
    }

    public Path controllerDataDir(String providerId) {
        return providerDir(providerId).resolve("controller").resolve("data");
    }

    /** Creates the provider's CA and writes its certificate as {@code <provider>/ca.pem}. */
    public DevCertificateAuthority createCa(String providerId) throws IOException {
        DevCertificateAuthority ca = DevCertificateAuthority.create(providerId);
        ca.writeCaCertificate(providerDir(providerId));
        return ca;
    }

    /** Issues and writes the controller's certificate (CN {@code controller}, OU controller). */
    public TlsFiles issueController(DevCertificateAuthority ca, String providerId) throws IOException {
        IssuedCredential c = ca.issue("controller", DevCertificateAuthority.Role.CONTROLLER, providerId);
        return tls(c.writeTo(providerDir(providerId).resolve("controller"), "controller"));
    }

    /** Issues and writes a node's certificate: CN its qkdn_id, OU qkd-node, O the provider. */
    public TlsFiles issueNode(DevCertificateAuthority ca, String providerId, String nodeName, String qkdnId)
            throws IOException {
        IssuedCredential c = ca.issue(qkdnId, DevCertificateAuthority.Role.QKD_NODE, providerId);
        return tls(c.writeTo(providerDir(providerId).resolve("nodes").resolve(nodeName), nodeName));
    }

    /** Issues and writes a node's key manager certificate: CN its qkdn_id, OU kms. */
    public TlsFiles issueKms(DevCertificateAuthority ca, String providerId, String nodeName, String qkdnId)
            throws IOException {
        IssuedCredential c = ca.issue(qkdnId, DevCertificateAuthority.Role.KMS, providerId);
        return tls(c.writeTo(providerDir(providerId).resolve("nodes").resolve(nodeName), nodeName + "-kms"));
    }

    /** Where a node's key manager keeps its stores. */
    public Path kmsDataDir(String providerId, String nodeName) {
        return providerDir(providerId).resolve("nodes").resolve(nodeName).resolve("kms-data");
    }

    /**
     * Issues and writes an SAE's certificate (CN its name, OU sae) as
     * {@code <provider>/saes/<sae>/<sae>.crt.pem}, {@code <sae>.key.pem} and {@code ca.pem}: what
     * {@code curl --cert --key --cacert} needs to fetch keys from a running testbed.
     */
    public TlsFiles issueSae(DevCertificateAuthority ca, String providerId, String saeName) throws IOException {
        IssuedCredential c = ca.issue(saeName, DevCertificateAuthority.Role.SAE, providerId);
        return tls(c.writeTo(providerDir(providerId).resolve("saes").resolve(saeName), saeName));
    }

    /** The file listing every key manager's ETSI GS QKD 014 address during a run. */
    public Path etsi014Endpoints() {
        return root.resolve("etsi014-endpoints.txt");
    }

    private static TlsFiles tls(IssuedCredential.PemFiles f) {
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }
}

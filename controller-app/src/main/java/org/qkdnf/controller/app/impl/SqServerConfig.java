package org.qkdnf.controller.app.impl;

import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.CONTROLLER_ID;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.CONTROLLER_ID_DEFAULT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_ADDRESS;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_ADDRESS_DEFAULT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_PORT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.SQ_PORT_DEFAULT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_CERTIFICATE_CHAIN;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_CERTIFICATE_CHAIN_DEFAULT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_PRIVATE_KEY;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_PRIVATE_KEY_DEFAULT;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_TRUSTED_CA;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.TLS_TRUSTED_CA_DEFAULT;

import java.nio.file.Paths;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Dictionary;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.onlab.util.Tools;
import org.qkdnf.common.tls.TlsFiles;

/**
 * The Sq server's settings as read from component properties. Immutable.
 *
 * <p>Reading is tolerant the ONOS way: a property that is absent keeps the previous value, a
 * property that is malformed keeps it too and is reported in {@link #problems()}, so a typo in
 * {@code cfg set} never takes the server down and never passes unnoticed.
 */
final class SqServerConfig {

    static final SqServerConfig DEFAULTS = new SqServerConfig(SQ_ADDRESS_DEFAULT, SQ_PORT_DEFAULT,
            TLS_CERTIFICATE_CHAIN_DEFAULT, TLS_PRIVATE_KEY_DEFAULT, TLS_TRUSTED_CA_DEFAULT, CONTROLLER_ID_DEFAULT,
            Collections.emptyList());

    private final String address;
    private final int port;
    private final String certificateChain;
    private final String privateKey;
    private final String trustedCa;
    private final String controllerId;
    private final List<String> problems;

    private SqServerConfig(String address, int port, String certificateChain, String privateKey, String trustedCa,
                           String controllerId, List<String> problems) {
        this.address = address;
        this.port = port;
        this.certificateChain = certificateChain;
        this.privateKey = privateKey;
        this.trustedCa = trustedCa;
        this.controllerId = controllerId;
        this.problems = Collections.unmodifiableList(problems);
    }

    /** Reads {@code properties} (null: none) over {@code previous}. */
    static SqServerConfig read(Dictionary<?, ?> properties, SqServerConfig previous) {
        List<String> problems = new ArrayList<>();
        String address = text(properties, SQ_ADDRESS, previous.address);
        if (address.isEmpty()) {
            problems.add(SQ_ADDRESS + ": must not be empty");
            address = previous.address;
        }
        int port = previous.port;
        String portText = text(properties, SQ_PORT, null);
        if (portText != null) {
            try {
                port = Integer.parseInt(portText);
                if (port < 0 || port > 65535) {
                    problems.add(SQ_PORT + ": must be in [0, 65535], was " + portText);
                    port = previous.port;
                }
            } catch (NumberFormatException e) {
                problems.add(SQ_PORT + ": not a number: '" + portText + "'");
            }
        }
        String id = text(properties, CONTROLLER_ID, previous.controllerId);
        if (id.isEmpty()) {
            problems.add(CONTROLLER_ID + ": must not be empty");
            id = previous.controllerId;
        }
        return new SqServerConfig(address, port,
                text(properties, TLS_CERTIFICATE_CHAIN, previous.certificateChain),
                text(properties, TLS_PRIVATE_KEY, previous.privateKey),
                text(properties, TLS_TRUSTED_CA, previous.trustedCa), id, problems);
    }

    private static String text(Dictionary<?, ?> properties, String name, String fallback) {
        String value = properties == null ? null : Tools.get(properties, name);
        return value == null ? fallback : value;
    }

    String address() {
        return address;
    }

    /** 0 asks for an ephemeral port. */
    int port() {
        return port;
    }

    String controllerId() {
        return controllerId;
    }

    /** The TLS files, when all three paths are set; without them there is no Sq server (Sq is mTLS only). */
    Optional<TlsFiles> tls() {
        if (certificateChain.isEmpty() || privateKey.isEmpty() || trustedCa.isEmpty()) {
            return Optional.empty();
        }
        return Optional.of(new TlsFiles(Paths.get(certificateChain), Paths.get(privateKey), Paths.get(trustedCa)));
    }

    /** What was refused while reading, each naming the property; empty when all was well. */
    List<String> problems() {
        return problems;
    }

    /** Whether a running server must be restarted to apply {@code other}. */
    boolean sameServer(SqServerConfig other) {
        return address.equals(other.address) && port == other.port
                && certificateChain.equals(other.certificateChain) && privateKey.equals(other.privateKey)
                && trustedCa.equals(other.trustedCa) && controllerId.equals(other.controllerId);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof SqServerConfig && sameServer((SqServerConfig) o)
                && problems.equals(((SqServerConfig) o).problems);
    }

    @Override
    public int hashCode() {
        return Objects.hash(address, port, certificateChain, privateKey, trustedCa, controllerId);
    }

    @Override
    public String toString() {
        // Paths only: never the content of the key file.
        return "SqServerConfig{" + address + ":" + port + ", cert=" + certificateChain + ", key=" + privateKey
                + ", ca=" + trustedCa + ", controllerId=" + controllerId + "}";
    }
}

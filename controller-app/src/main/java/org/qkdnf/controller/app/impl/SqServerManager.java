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

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

import org.onosproject.cfg.ComponentConfigService;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdCommandService;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.controller.impl.PendingCommands;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves Sq, the agents' interface, inside ONOS: the core's gRPC service with mutual TLS on a
 * configurable address and port, and the {@link QkdCommandService} through which commands reach
 * the agents connected to this instance. The same server carries Sk (key managers), the key-route
 * northbound and Nc (key services, answered on any instance), each behind its own roles.
 *
 * <p>Without the three TLS paths there is no server (Sq admits only authenticated agents, so there
 * is no plaintext fallback); the component stays active, says so in the log, and starts the
 * server as soon as {@code cfg set} supplies them. A server that cannot start (unreadable file,
 * port in use) is logged as an error with the cause, and the next change of configuration retries.
 *
 * <p>Threads: SCR calls activate, modified and deactivate one at a time; they own {@code config}
 * and {@code endpoint} (volatile for the read-only accessors). The dispatcher and its scheduler are
 * created in activate and are thread-safe.
 */
@Component(immediate = true,
        service = QkdCommandService.class,
        property = {
                SQ_ADDRESS + "=" + SQ_ADDRESS_DEFAULT,
                SQ_PORT + ":Integer=" + SQ_PORT_DEFAULT,
                TLS_CERTIFICATE_CHAIN + "=" + TLS_CERTIFICATE_CHAIN_DEFAULT,
                TLS_PRIVATE_KEY + "=" + TLS_PRIVATE_KEY_DEFAULT,
                TLS_TRUSTED_CA + "=" + TLS_TRUSTED_CA_DEFAULT,
                CONTROLLER_ID + "=" + CONTROLLER_ID_DEFAULT,
        })
public class SqServerManager implements QkdCommandService {

    private static final Logger log = LoggerFactory.getLogger(SqServerManager.class);

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ComponentConfigService cfgService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected QkdTopologyAdminService topology;

    /** Sk (key managers) is served on the same server; null in tests that wire Sq alone. */
    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected KeyManagementComponent keyManagement;

    /** Nc (key services) is served on the same server; null in tests that wire Sq alone. */
    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected KeyServicesService keyServices;

    // The property fields mirror the configuration in force (set by apply) and exist for ONOS's
    // cfg tool, which takes each property's description from the javadoc of the field of its name.

    /** Address the Sq server binds to. */
    private String sqAddress = SQ_ADDRESS_DEFAULT;

    /** TCP port of the Sq server (mTLS gRPC); 0 binds an ephemeral port. */
    private int sqPort = SQ_PORT_DEFAULT;

    /** PEM certificate chain the Sq server presents (role controller); empty: no Sq server. */
    private String tlsCertificateChain = TLS_CERTIFICATE_CHAIN_DEFAULT;

    /** PEM (PKCS#8) private key of that certificate; empty: no Sq server. */
    private String tlsPrivateKey = TLS_PRIVATE_KEY_DEFAULT;

    /** PEM CA certificate(s) that agents' certificates must chain to; empty: no Sq server. */
    private String tlsTrustedCa = TLS_TRUSTED_CA_DEFAULT;

    /** Controller id sent to agents in HelloAck. */
    private String controllerId = CONTROLLER_ID_DEFAULT;

    private ScheduledExecutorService scheduler;
    private CommandDispatcher commands;
    private volatile SqServerConfig config = SqServerConfig.DEFAULTS;
    private volatile SqEndpoint endpoint;

    @Activate
    protected void activate(ComponentContext context) {
        cfgService.registerProperties(getClass());
        scheduler = PendingCommands.newTimeoutScheduler("qkdnf-command-timeouts");
        commands = new CommandDispatcher(scheduler, topology::settings, Clock.systemUTC());
        apply(SqServerConfig.read(properties(context), SqServerConfig.DEFAULTS), true);
        log.info("Started");
    }

    @Modified
    protected void modified(ComponentContext context) {
        apply(SqServerConfig.read(properties(context), config), false);
    }

    @Deactivate
    protected void deactivate() {
        cfgService.unregisterProperties(getClass(), false);
        stopEndpoint();
        scheduler.shutdownNow();
        log.info("Stopped");
    }

    private static java.util.Dictionary<?, ?> properties(ComponentContext context) {
        return context == null ? null : context.getProperties();
    }

    private void apply(SqServerConfig next, boolean first) {
        for (String problem : next.problems()) {
            log.warn("Refused component property {}; the previous value stays", problem);
        }
        SqServerConfig previous = config;
        config = next;
        sqAddress = next.address();
        sqPort = next.port();
        controllerId = next.controllerId();
        if (!first && next.sameServer(previous) && (endpoint != null || next.tls().isEmpty())) {
            return;
        }
        // Changing address, port, certificates or id restarts the server: agents reconnect (they
        // retry with backoff) and re-send their inventory, so nothing of the topology is lost.
        stopEndpoint();
        Optional<TlsFiles> tls = next.tls();
        if (tls.isEmpty()) {
            log.warn("Sq server not started: set {}, {} and {} (Sq accepts only mutually authenticated agents)",
                    TLS_CERTIFICATE_CHAIN, TLS_PRIVATE_KEY, TLS_TRUSTED_CA);
            return;
        }
        try {
            endpoint = SqEndpoint.start(next.address(), next.port(), tls.get(), next.controllerId(), topology,
                    commands, keyManagement == null ? null : keyManagement.manager(), keyServices);
            log.info("Sq server listening on {}:{} ({})", next.address(), endpoint.port(), next);
        } catch (IOException | RuntimeException | LinkageError e) {
            // LinkageError too: a class-space problem of the embedded gRPC must name itself here,
            // not only in SCR's log of a failed modified().
            log.error("Sq server not started with {}: {}", next, e.getMessage(), e);
        }
    }

    private void stopEndpoint() {
        SqEndpoint e = endpoint;
        if (e != null) {
            endpoint = null;
            e.close();
            log.info("Sq server stopped");
        }
    }

    /** The port the Sq server listens on; empty when it is not running. */
    public OptionalInt sqListenPort() {
        SqEndpoint e = endpoint;
        return e == null ? OptionalInt.empty() : OptionalInt.of(e.port());
    }

    /** Agents with a live Sq stream to this instance. */
    public int connectedAgents() {
        SqEndpoint e = endpoint;
        return e == null ? 0 : e.connectedAgents();
    }

    @Override
    public CompletableFuture<CommandResult> submit(String qkdnId, ControllerCommand command, Duration timeout) {
        return commands.submit(qkdnId, command, timeout);
    }
}

package org.qkdnf.controller.standalone;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.grpc.Server;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.protobuf.services.ProtoReflectionService;
import io.grpc.protobuf.services.ProtoReflectionServiceV1;
import org.qkdnf.common.concurrent.OrderlyShutdown;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdCommandService;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.controller.impl.PendingCommands;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.keyservice.KeyServiceGrpcService;
import org.qkdnf.controller.keyservice.KeyServiceManager;
import org.qkdnf.controller.km.KeyManagementGrpcService;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.controller.km.KeyRouteAdminGrpcService;
import org.qkdnf.controller.km.SkServerFactory;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.sq.QuantumLayerGrpcService;
import org.qkdnf.controller.sq.SqServerFactory;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyRouteAdminServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller core hosted on its own: the topology manager over a crash-safe
 * {@link MvStoreQkdTopologyStore}, the command dispatcher, and one mTLS gRPC server carrying Sq,
 * gRPC health and server reflection. The same server carries Sk (key managers, role kms) and the
 * key-route northbound (roles controller, operator) over an {@link MvStoreKeyManagementStore};
 * each service admits only its roles. The key-service northbound (Nc, roles controller and
 * operator) runs a {@link KeyServiceManager} over an {@link AdmissionController} admitting
 * {@value #ADMISSIBLE_FRACTION} of each link's measured SKR, with reservations in an
 * {@link MvStoreReservationStore} and services in an {@link MvStoreKeyServiceStore}.
 *
 * <p>Threads: built and closed by one thread; everything it hands out is thread-safe.
 */
public final class StandaloneController implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(StandaloneController.class);
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);
    /**
     * Share of a link's measured SKR that key services may reserve: the rest absorbs the
     * fluctuation of the measurement between reports, so a small dip displaces nothing.
     */
    public static final double ADMISSIBLE_FRACTION = 0.9;

    private final MvStoreQkdTopologyStore store;
    private final QkdTopologyManager manager;
    private final ScheduledExecutorService scheduler;
    private final CommandDispatcher commands;
    private final QuantumLayerGrpcService sqService;
    private final MvStoreKeyManagementStore kmStore;
    private final KeyManagementManager keyManagement;
    private final KeyManagementGrpcService skService;
    private final MvStoreReservationStore reservationStore;
    private final MvStoreKeyServiceStore keyServiceStore;
    /** Makes kmStore, reservationStore and keyServiceStore durable together. */
    private final GroupCommit storeCommits;
    private final AdmissionController admission;
    private final KeyServiceManager keyServices;
    private final ThreadPoolExecutor callExecutor;
    private final HealthStatusManager health;
    private final Server server;
    private boolean closed;

    private StandaloneController(StandaloneControllerConfig config) throws IOException {
        Files.createDirectories(config.dataDir());
        store = MvStoreQkdTopologyStore.open(config.dataDir().resolve(MvStoreQkdTopologyStore.FILE_NAME));
        MvStoreKeyManagementStore km = null;
        MvStoreReservationStore rs = null;
        MvStoreKeyServiceStore ks = null;
        // One group commit for the three stores a key service's setup writes in a chain (see GroupCommit).
        storeCommits = new GroupCommit("controller");
        try {
            km = MvStoreKeyManagementStore.open(config.dataDir().resolve(MvStoreKeyManagementStore.FILE_NAME),
                    storeCommits);
            kmStore = km;
            rs = MvStoreReservationStore.open(config.dataDir(), storeCommits);
            reservationStore = rs;
            ks = MvStoreKeyServiceStore.open(config.dataDir(), storeCommits);
            keyServiceStore = ks;
            manager = new QkdTopologyManager(store);
            ControllerSettings s = manager.settings();
            ControllerSettings wanted = s;
            if (config.qberDegradedThreshold().isPresent()) {
                wanted = wanted.withQberDegradedThreshold(config.qberDegradedThreshold().get());
            }
            if (config.commandTimeout().isPresent()) {
                wanted = wanted.withCommandTimeout(config.commandTimeout().get());
            }
            if (config.reportIntervalMs().isPresent()) {
                wanted = wanted.withReportIntervalMs(config.reportIntervalMs().get());
            }
            if (!wanted.equals(s) || store.getSettings().isEmpty()) {
                manager.updateSettings(wanted);
            }
            scheduler = PendingCommands.newTimeoutScheduler("qkd-command-timeouts");
            commands = new CommandDispatcher(scheduler, manager::settings, Clock.systemUTC());
            sqService = new QuantumLayerGrpcService(manager, commands, config.controllerId());
            keyManagement = new KeyManagementManager(kmStore, scheduler, manager::settings, Clock.systemUTC());
            skService = new KeyManagementGrpcService(keyManagement, config.controllerId());
            // Deferred: the key-service manager makes reservations durable in batches, before it acts on them.
            admission = new AdmissionController(reservationStore, ADMISSIBLE_FRACTION, true);
            keyServices = new KeyServiceManager(manager, admission, keyManagement, keyServiceStore, Clock.systemUTC());
            callExecutor = SqServerFactory.newBoundedExecutor();
            health = new HealthStatusManager();
            server = SqServerFactory.serverBuilder(config.sqHost(), config.sqPort(), config.tls(), sqService, callExecutor)
                    .addService(SkServerFactory.interceptedService(skService))
                    .addService(SkServerFactory.interceptedAdmin(new KeyRouteAdminGrpcService(keyManagement)))
                    .addService(KeyServiceGrpcService.intercepted(new KeyServiceGrpcService(keyServices)))
                    .addService(health.getHealthService())
                    .addService(ProtoReflectionServiceV1.newInstance())
                    .addService(ProtoReflectionService.newInstance())
                    .build();
            server.start();
            keyServices.start();
        } catch (IOException | RuntimeException e) {
            storeCommits.close();
            if (km != null) {
                km.close();
            }
            if (rs != null) {
                rs.close();
            }
            if (ks != null) {
                ks.close();
            }
            store.close();
            throw e;
        }
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(QuantumLayerServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus(KeyManagementServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus(KeyRouteAdminServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
        health.setStatus(KeyServiceServiceGrpc.SERVICE_NAME, ServingStatus.SERVING);
        log.info("controller {} serving Sq on {}:{} (data {}, {} nodes, {} links restored, {})",
                config.controllerId(), config.sqHost(), sqPort(), config.dataDir(), manager.getNodes().size(),
                manager.getLinks().size(), manager.settings());
    }

    /**
     * Opens (or creates) the data directory's store and starts serving.
     *
     * @throws IOException when the store cannot be opened or the port cannot be bound
     */
    public static StandaloneController start(StandaloneControllerConfig config) throws IOException {
        try {
            return new StandaloneController(config);
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    /** The port the Sq server is bound to. */
    public int sqPort() {
        return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    public QkdTopologyService topologyService() {
        return manager;
    }

    /** Writes (operators' tools, tests). */
    public QkdTopologyAdminService topologyAdminService() {
        return manager;
    }

    public QkdCommandService commandService() {
        return commands;
    }

    /** Key management (Sk): key managers, their links and pool levels, operator-pinned key routes. */
    public KeyManagementAdminService keyManagementService() {
        return keyManagement;
    }

    /** Key services (Nc): routed, admitted and installed by the controller. */
    public KeyServiceManager keyServiceManager() {
        return keyServices;
    }

    /** Admission of key rate on links (what key services reserve). */
    public AdmissionController admissionController() {
        return admission;
    }

    /** Graceful and bounded: health NOT_SERVING, agent streams closed, server drained, store closed. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        health.enterTerminalState();
        keyServices.close();
        sqService.closeAll();
        skService.closeAll();
        SqServerFactory.shutdown(server, SHUTDOWN_WAIT);
        callExecutor.shutdown();
        // Not interrupted first: its command timeouts write the key-management store (a file).
        OrderlyShutdown.stop(scheduler, SHUTDOWN_WAIT);
        try {
            callExecutor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        manager.close();
        storeCommits.close();
        kmStore.close();
        keyServiceStore.close();
        reservationStore.close();
        store.close();
        log.info("controller stopped");
    }
}

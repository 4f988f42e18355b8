package org.qkdnf.controller.app.impl;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ScheduledExecutorService;

import org.onosproject.cluster.ClusterService;
import org.onosproject.store.cluster.messaging.ClusterCommunicationService;
import org.onosproject.store.service.StorageService;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.controller.api.KeyManagementStore;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.impl.PendingCommands;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key management (Sk) inside ONOS: the core's {@link KeyManagementManager} over the cluster's
 * {@link KeyManagementStore}, exported as {@link KeyManagementService} and
 * {@link KeyManagementAdminService} (CLI, REST) and as itself for {@link SqServerManager}, which
 * serves the key managers' streams on the Sq server.
 *
 * <p>Cluster note: routes and registrations are shared through the store; a key manager's stream
 * ends at one instance, and a command for a key manager connected to another instance is sent
 * there ({@link ClusterKeyManagers}), so the key-service leader installs routes whatever instance
 * their key managers chose. An instance learns routes written by others when it starts.
 *
 * <p>Threads: SCR calls activate and deactivate one at a time; {@code manager} is set in activate
 * before the services are registered and read by any thread afterwards.
 */
@Component(immediate = true,
        service = {KeyManagementService.class, KeyManagementAdminService.class, KeyManagementComponent.class})
public class KeyManagementComponent implements KeyManagementAdminService {

    private static final Logger log = LoggerFactory.getLogger(KeyManagementComponent.class);

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected KeyManagementStore store;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected QkdTopologyService topology;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected StorageService storageService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ClusterService clusterService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ClusterCommunicationService communicationService;

    private ScheduledExecutorService scheduler;
    private ClusterKeyManagers remote;
    private volatile KeyManagementManager manager;

    @Activate
    protected void activate() {
        scheduler = PendingCommands.newTimeoutScheduler("qkdnf-km-command-timeouts");
        KeyManagementManager m = new KeyManagementManager(store, scheduler, topology::settings, Clock.systemUTC());
        remote = new ClusterKeyManagers(storageService, clusterService, communicationService, m);
        remote.start();
        m.useRemote(remote);
        manager = m;
        log.info("Started");
    }

    @Deactivate
    protected void deactivate() {
        remote.close();
        scheduler.shutdownNow();
        log.info("Stopped");
    }

    /** The core manager, for the Sk gRPC service. */
    KeyManagementManager manager() {
        return manager;
    }

    @Override
    public List<KmNode> getKmNodes() {
        return manager.getKmNodes();
    }

    @Override
    public Optional<KmNode> getKmNode(String qkdnId) {
        return manager.getKmNode(qkdnId);
    }

    @Override
    public List<KmLinkState> getKmLinks() {
        return manager.getKmLinks();
    }

    @Override
    public List<KeyRouteEntry> getKeyRoutes() {
        return manager.getKeyRoutes();
    }

    @Override
    public Optional<KeyRouteEntry> getKeyRoute(String serviceId) {
        return manager.getKeyRoute(serviceId);
    }

    @Override
    public CompletableFuture<KeyRouteEntry> installRoute(KeyRoute route, Duration timeout) {
        return manager.installRoute(route, timeout);
    }

    @Override
    public CompletableFuture<Void> removeRoute(String serviceId, Duration timeout) {
        return manager.removeRoute(serviceId, timeout);
    }
}

package org.qkdnf.controller.app.osgi;

import org.onosproject.cfg.ComponentConfigAdapter;
import org.onosproject.cfg.ComponentConfigService;
import org.onosproject.cluster.ClusterService;
import org.onosproject.cluster.ClusterServiceAdapter;
import org.onosproject.cluster.LeadershipService;
import org.onosproject.cluster.LeadershipServiceAdapter;
import org.onosproject.core.CoreService;
import org.onosproject.net.config.NetworkConfigRegistry;
import org.onosproject.net.config.NetworkConfigRegistryAdapter;
import org.onosproject.net.device.DeviceAdminService;
import org.onosproject.net.device.DeviceProviderRegistry;
import org.onosproject.net.link.LinkProviderRegistry;
import org.onosproject.net.link.LinkProviderRegistryAdapter;
import org.onosproject.rest.ApiDocService;
import org.onosproject.security.AuditService;
import org.onosproject.store.cluster.messaging.ClusterCommunicationService;
import org.onosproject.store.cluster.messaging.ClusterCommunicationServiceAdapter;
import org.onosproject.store.service.StorageService;
import org.onosproject.store.service.TestStorageService;
import org.osgi.framework.BundleActivator;
import org.osgi.framework.BundleContext;

/**
 * Activator of the stand-in bundle that {@link ControllerAppBundleIT} builds: registers, inside
 * the framework, the ONOS services the app's components reference (ONOS's own test adapters from
 * onos-api:tests, loaded against the onos-api bundle so that their types are the app's).
 */
public class StandInOnosServices implements BundleActivator {

    @Override
    public void start(BundleContext context) {
        context.registerService(StorageService.class, new TestStorageService(), null);
        context.registerService(CoreService.class, new StandInCoreService(), null);
        context.registerService(ComponentConfigService.class, new ComponentConfigAdapter(), null);
        context.registerService(AuditService.class, new StandInAuditService(), null);
        context.registerService(ClusterService.class, new ClusterServiceAdapter(), null);
        context.registerService(ApiDocService.class, new StandInApiDocService(), null);
        // No election happens here (the adapter names no leader): the key services stay a follower.
        context.registerService(LeadershipService.class, new LeadershipServiceAdapter(), null);
        context.registerService(ClusterCommunicationService.class, new ClusterCommunicationServiceAdapter(), null);
        context.registerService(NetworkConfigRegistry.class, new NetworkConfigRegistryAdapter(), null);
        context.registerService(DeviceProviderRegistry.class, new StandInProviderRegistries(), null);
        context.registerService(DeviceAdminService.class, StandInDeviceAdminService.create(), null);
        context.registerService(LinkProviderRegistry.class, new LinkProviderRegistryAdapter(), null);
    }

    @Override
    public void stop(BundleContext context) {
        // The framework unregisters the services of a stopping bundle.
    }
}

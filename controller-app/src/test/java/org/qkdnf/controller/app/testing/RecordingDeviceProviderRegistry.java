package org.qkdnf.controller.app.testing;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.onosproject.net.DeviceId;
import org.onosproject.net.MastershipRole;
import org.onosproject.net.device.DeviceDescription;
import org.onosproject.net.device.DeviceProvider;
import org.onosproject.net.device.DeviceProviderRegistryAdapter;
import org.onosproject.net.device.DeviceProviderService;
import org.onosproject.net.device.DeviceProviderServiceAdapter;
import org.onosproject.net.device.PortDescription;

/**
 * onos-api's DeviceProviderRegistryAdapter whose provider service (its DeviceProviderServiceAdapter)
 * keeps what a provider reported, as ONOS's device store would: devices, their availability and
 * ports. Threads: any.
 */
public class RecordingDeviceProviderRegistry extends DeviceProviderRegistryAdapter {

    public final Map<DeviceId, DeviceDescription> devices = new ConcurrentHashMap<>();
    public final Set<DeviceId> online = ConcurrentHashMap.newKeySet();
    public final Map<DeviceId, List<PortDescription>> ports = new ConcurrentHashMap<>();
    /** deviceConnected calls so far. */
    public final java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
    private volatile DeviceProvider provider;

    @Override
    public DeviceProviderService register(DeviceProvider p) {
        provider = p;
        return new DeviceProviderServiceAdapter() {
            @Override
            public void deviceConnected(DeviceId id, DeviceDescription description) {
                devices.put(id, description);
                online.add(id);
                connects.incrementAndGet();
            }

            @Override
            public void deviceDisconnected(DeviceId id) {
                online.remove(id);
            }

            @Override
            public void updatePorts(DeviceId id, List<PortDescription> descriptions) {
                ports.put(id, List.copyOf(descriptions));
            }

            @Override
            public void receivedRoleReply(DeviceId id, MastershipRole requested, MastershipRole response) {
            }
        };
    }

    @Override
    public void unregister(DeviceProvider p) {
        provider = null;
    }

    /** The registered provider (null once unregistered). */
    public DeviceProvider provider() {
        return provider;
    }
}

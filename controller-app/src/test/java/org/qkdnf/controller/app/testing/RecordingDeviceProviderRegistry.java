package org.qkdnf.controller.app.testing;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.onosproject.net.DeviceId;
import org.onosproject.net.MastershipRole;
import org.onosproject.net.device.DeviceAdminService;
import org.onosproject.net.device.DeviceDescription;
import org.onosproject.net.device.DeviceProvider;
import org.onosproject.net.device.DeviceProviderRegistryAdapter;
import org.onosproject.net.device.DeviceProviderService;
import org.onosproject.net.device.DeviceProviderServiceAdapter;
import org.onosproject.net.device.PortDescription;

/**
 * onos-api's DeviceProviderRegistryAdapter whose provider service (its DeviceProviderServiceAdapter)
 * keeps what a provider reported, as ONOS's device store would: devices, their availability and
 * ports; {@link #adminService()} deletes them as ONOS's DeviceManager does. Threads: any.
 */
public class RecordingDeviceProviderRegistry extends DeviceProviderRegistryAdapter {

    public final Map<DeviceId, DeviceDescription> devices = new ConcurrentHashMap<>();
    public final Set<DeviceId> online = ConcurrentHashMap.newKeySet();
    public final Map<DeviceId, List<PortDescription>> ports = new ConcurrentHashMap<>();
    /** deviceConnected calls so far. */
    public final java.util.concurrent.atomic.AtomicInteger connects = new java.util.concurrent.atomic.AtomicInteger();
    /** removeDevice calls so far (through {@link #adminService()}). */
    public final java.util.concurrent.atomic.AtomicInteger removals = new java.util.concurrent.atomic.AtomicInteger();
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

    /**
     * A DeviceAdminService whose removeDevice deletes the device from what this registry keeps (its
     * other methods are not used by the app and throw; onos-api has no adapter for it).
     */
    public DeviceAdminService adminService() {
        return (DeviceAdminService) Proxy.newProxyInstance(DeviceAdminService.class.getClassLoader(),
                new Class<?>[] {DeviceAdminService.class}, (proxy, method, args) -> {
                    if (method.getName().equals("removeDevice")) {
                        DeviceId id = (DeviceId) args[0];
                        devices.remove(id);
                        online.remove(id);
                        ports.remove(id);
                        removals.incrementAndGet();
                        return null;
                    }
                    if (method.getDeclaringClass() == Object.class) {
                        return method.getName().equals("toString") ? "RecordingDeviceAdminService"
                                : method.getName().equals("hashCode") ? System.identityHashCode(proxy) : proxy == args[0];
                    }
                    throw new UnsupportedOperationException(method.getName());
                });
    }

    /** The registered provider (null once unregistered). */
    public DeviceProvider provider() {
        return provider;
    }
}

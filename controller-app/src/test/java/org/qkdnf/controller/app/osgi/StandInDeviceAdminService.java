package org.qkdnf.controller.app.osgi;

import java.lang.reflect.Proxy;

import org.onosproject.net.device.DeviceAdminService;

/**
 * onos-api has no adapter for DeviceAdminService (the topology publisher deletes removed nodes'
 * devices through it): a proxy whose removeDevice does nothing, as the inert provider services
 * here do; nothing else of it is used.
 */
final class StandInDeviceAdminService {

    private StandInDeviceAdminService() {
    }

    static DeviceAdminService create() {
        return (DeviceAdminService) Proxy.newProxyInstance(DeviceAdminService.class.getClassLoader(),
                new Class<?>[] {DeviceAdminService.class}, (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "removeDevice":
                            return null;
                        case "toString":
                            return "StandInDeviceAdminService";
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }
}

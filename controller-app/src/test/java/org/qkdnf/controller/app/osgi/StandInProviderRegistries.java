package org.qkdnf.controller.app.osgi;

import org.onosproject.net.device.DeviceProvider;
import org.onosproject.net.device.DeviceProviderRegistryAdapter;
import org.onosproject.net.device.DeviceProviderService;
import org.onosproject.net.device.DeviceProviderServiceAdapter;

/**
 * onos-api's DeviceProviderRegistryAdapter answers a registration with no provider service; ONOS
 * always gives one, so this stand-in answers with the (inert) DeviceProviderServiceAdapter.
 */
public class StandInProviderRegistries extends DeviceProviderRegistryAdapter {

    @Override
    public DeviceProviderService register(DeviceProvider provider) {
        return new DeviceProviderServiceAdapter();
    }
}

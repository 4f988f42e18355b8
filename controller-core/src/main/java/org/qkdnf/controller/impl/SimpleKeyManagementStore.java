package org.qkdnf.controller.impl;

import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

import org.qkdnf.controller.api.KeyManagementStore;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmNode;

/** In-memory {@link KeyManagementStore} (tests, hosts without a disk). Thread-safe. */
public final class SimpleKeyManagementStore implements KeyManagementStore {

    private final Map<String, KmNode> nodes = new ConcurrentHashMap<>();
    private final Map<String, KeyRouteEntry> routes = new ConcurrentHashMap<>();

    @Override
    public Map<String, KmNode> loadNodes() {
        return Map.copyOf(nodes);
    }

    @Override
    public void putNode(KmNode registration) {
        nodes.put(registration.getHello().getQkdnId(), KmNode.newBuilder().setHello(registration.getHello())
                .setInventory(registration.getInventory()).build());
    }

    @Override
    public Map<String, KeyRouteEntry> loadRoutes() {
        return Map.copyOf(routes);
    }

    @Override
    public void putRoute(KeyRouteEntry entry) {
        routes.put(entry.getRoute().getServiceId(), entry);
    }

    @Override
    public void removeRoute(String serviceId) {
        routes.remove(serviceId);
    }
}

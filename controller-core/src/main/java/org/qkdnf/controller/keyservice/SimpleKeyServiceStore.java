package org.qkdnf.controller.keyservice;

import java.util.ArrayList;
import java.util.Collection;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.qkdnf.proto.northbound.v1.KeyService;

/** In-memory {@link KeyServiceStore} (tests, embedding without persistence). Thread-safe. */
public final class SimpleKeyServiceStore implements KeyServiceStore {

    private final Map<String, KeyService> services = new ConcurrentHashMap<>();

    @Override
    public Collection<KeyService> loadAll() {
        return new ArrayList<>(services.values());
    }

    @Override
    public void save(KeyService service) {
        services.put(service.getServiceId(), service);
    }

    @Override
    public void remove(String serviceId) {
        services.remove(serviceId);
    }
}

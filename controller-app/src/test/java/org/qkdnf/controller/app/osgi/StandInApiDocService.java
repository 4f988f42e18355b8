package org.qkdnf.controller.app.osgi;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.onosproject.rest.ApiDocProvider;
import org.onosproject.rest.ApiDocService;

/** ONOS's REST API documentation registry, as a map (onos-api has no adapter for it). */
public class StandInApiDocService implements ApiDocService {

    private final ConcurrentHashMap<String, ApiDocProvider> providers = new ConcurrentHashMap<>();

    @Override
    public void register(ApiDocProvider provider) {
        providers.put(provider.key(), provider);
    }

    @Override
    public void unregister(ApiDocProvider provider) {
        providers.remove(provider.key(), provider);
    }

    @Override
    public Set<ApiDocProvider> getDocProviders() {
        return Set.copyOf(providers.values());
    }

    @Override
    public ApiDocProvider getDocProvider(String key) {
        return providers.get(key);
    }
}

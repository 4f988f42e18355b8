package org.qkdnf.controller.app.testing;

import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.onosproject.net.config.Config;
import org.onosproject.net.config.ConfigFactory;
import org.onosproject.net.config.NetworkConfigEvent;
import org.onosproject.net.config.NetworkConfigListener;
import org.onosproject.net.config.NetworkConfigRegistryAdapter;

/**
 * onos-api's NetworkConfigRegistryAdapter holding configs as ONOS's netcfg does: a config is made
 * by its registered factory, validated (isValid's InvalidFieldException reaches the caller, as it
 * reaches an operator's {@code onos-netcfg}), stored, and announced to the listeners on the calling
 * thread. Threads: any.
 */
public class TestNetworkConfigRegistry extends NetworkConfigRegistryAdapter {

    private final Map<Class<?>, ConfigFactory<?, ?>> factories = new ConcurrentHashMap<>();
    private final Map<List<Object>, Config<?>> configs = new ConcurrentHashMap<>();
    private final List<NetworkConfigListener> listeners = new CopyOnWriteArrayList<>();
    private final ObjectMapper mapper = new ObjectMapper();

    @Override
    public void registerConfigFactory(ConfigFactory configFactory) {
        factories.put(configFactory.configClass(), configFactory);
    }

    @Override
    public void unregisterConfigFactory(ConfigFactory configFactory) {
        factories.remove(configFactory.configClass());
    }

    @Override
    public Set<ConfigFactory> getConfigFactories() {
        return Set.copyOf(factories.values());
    }

    @Override
    @SuppressWarnings("unchecked")
    public <S, C extends Config<S>> C getConfig(S subject, Class<C> configClass) {
        return (C) configs.get(List.of(subject, configClass));
    }

    @Override
    @SuppressWarnings("unchecked")
    public <S, C extends Config<S>> C applyConfig(S subject, Class<C> configClass, JsonNode json) {
        ConfigFactory<S, C> factory = (ConfigFactory<S, C>) factories.get(configClass);
        if (factory == null) {
            throw new IllegalArgumentException("no config factory for " + configClass.getSimpleName());
        }
        C config = factory.createConfig();
        config.init(subject, factory.configKey(), json, mapper, null);
        if (!config.isValid()) {
            throw new IllegalArgumentException("Configuration is invalid");
        }
        Config<?> previous = configs.put(List.of(subject, configClass), config);
        post(new NetworkConfigEvent(previous == null ? NetworkConfigEvent.Type.CONFIG_ADDED
                : NetworkConfigEvent.Type.CONFIG_UPDATED, subject, config, previous, configClass));
        return config;
    }

    @Override
    public <S, C extends Config<S>> void removeConfig(S subject, Class<C> configClass) {
        Config<?> previous = configs.remove(List.of(subject, configClass));
        if (previous != null) {
            post(new NetworkConfigEvent(NetworkConfigEvent.Type.CONFIG_REMOVED, subject, null, previous, configClass));
        }
    }

    @Override
    public void addListener(NetworkConfigListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(NetworkConfigListener listener) {
        listeners.remove(listener);
    }

    private void post(NetworkConfigEvent event) {
        listeners.forEach(l -> l.event(event));
    }
}

package org.qkdnf.controller.app.testing;

import java.util.concurrent.ConcurrentHashMap;

import org.onosproject.store.service.AsyncConsistentMap;
import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.ConsistentMapBuilder;
import org.onosproject.store.service.TestConsistentMap;
import org.onosproject.store.service.TestStorageService;

/**
 * ONOS's TestStorageService, except that a map name always yields the same map: what every
 * instance of an ONOS cluster (or a restarted one) gets from the real StorageService. One object of
 * this class stands for the cluster's storage; give it to several stores to play several instances.
 */
public class ClusterStorageService extends TestStorageService {

    private final ConcurrentHashMap<String, ConsistentMap<?, ?>> maps = new ConcurrentHashMap<>();

    @Override
    @SuppressWarnings("unchecked")
    public <K, V> ConsistentMapBuilder<K, V> consistentMapBuilder() {
        return new ConsistentMapBuilder<K, V>() {
            @Override
            public ConsistentMap<K, V> build() {
                return (ConsistentMap<K, V>) maps.computeIfAbsent(name(), n -> {
                    TestConsistentMap.Builder<K, V> b = TestConsistentMap.builder();
                    b.withName(n).withSerializer(serializer());
                    return b.build();
                });
            }

            @Override
            public AsyncConsistentMap<K, V> buildAsyncMap() {
                throw new UnsupportedOperationException("the app uses synchronous maps only");
            }
        };
    }

    /** The raw map behind {@code name} (to inspect what the cluster holds, or to corrupt it). */
    @SuppressWarnings("unchecked")
    public <K, V> ConsistentMap<K, V> map(String name) {
        return (ConsistentMap<K, V>) maps.get(name);
    }
}

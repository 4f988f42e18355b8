package org.qkdnf.controller.app.store;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

import com.google.protobuf.InvalidProtocolBufferException;

import org.onlab.util.KryoNamespace;
import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.Serializer;
import org.onosproject.store.service.StorageService;
import org.onosproject.store.service.Versioned;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.KeyManagementStore;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key-management store of an ONOS cluster: key-manager registrations (hello and inventory) and
 * key routes with their state, as protobuf bytes in two {@link ConsistentMap}s. A write returns once
 * the cluster's consensus committed it, so an acknowledged route survives the loss of this instance
 * (the standalone twin syncs an MVStore file instead).
 *
 * <p>Threads: any thread; the maps are thread-safe and set once in {@link #activate}, before SCR
 * registers the service.
 */
@Component(immediate = true, service = KeyManagementStore.class)
public final class DistributedKeyManagementStore implements KeyManagementStore {

    static final String KM_NODES_MAP = "qkdnf-controller-km-nodes";
    static final String KEY_ROUTES_MAP = "qkdnf-controller-key-routes";
    private static final Logger log = LoggerFactory.getLogger(DistributedKeyManagementStore.class);
    private static final Serializer SERIALIZER = Serializer.using(
            new KryoNamespace.Builder().register(byte[].class).build("qkdnf-controller-km"));

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected StorageService storageService;

    private volatile ConsistentMap<String, byte[]> nodes;
    private volatile ConsistentMap<String, byte[]> routes;

    @Activate
    protected void activate() {
        nodes = storageService.<String, byte[]>consistentMapBuilder().withName(KM_NODES_MAP)
                .withSerializer(SERIALIZER).build();
        routes = storageService.<String, byte[]>consistentMapBuilder().withName(KEY_ROUTES_MAP)
                .withSerializer(SERIALIZER).build();
        log.info("Started: {} key managers, {} key routes in the cluster", nodes.size(), routes.size());
    }

    @Override
    public Map<String, KmNode> loadNodes() {
        Map<String, KmNode> out = new HashMap<>();
        for (Map.Entry<String, Versioned<byte[]>> e : nodes.entrySet()) {
            String qkdnId = e.getKey();
            try {
                out.put(qkdnId, KmNode.parseFrom(e.getValue().value()));
            } catch (InvalidProtocolBufferException x) {
                log.error("key manager {}: stored record does not parse; ignored", qkdnId);
            }
        }
        return out;
    }

    @Override
    public void putNode(KmNode registration) {
        KmNode kept = KmNode.newBuilder().setHello(registration.getHello()).setInventory(registration.getInventory())
                .build();
        nodes.put(kept.getHello().getQkdnId(), kept.toByteArray());
    }

    @Override
    public Map<String, KeyRouteEntry> loadRoutes() {
        Map<String, KeyRouteEntry> out = new HashMap<>();
        for (Map.Entry<String, Versioned<byte[]>> e : routes.entrySet()) {
            route(e.getKey(), e.getValue()).ifPresent(r -> out.put(e.getKey(), r));
        }
        return out;
    }

    /** One consensus read of one record, not the whole map. */
    @Override
    public Optional<KeyRouteEntry> loadRoute(String serviceId) {
        Versioned<byte[]> v = routes.get(serviceId);
        return v == null ? Optional.empty() : route(serviceId, v);
    }

    private static Optional<KeyRouteEntry> route(String serviceId, Versioned<byte[]> stored) {
        try {
            return Optional.of(KeyRouteEntry.parseFrom(stored.value()));
        } catch (InvalidProtocolBufferException x) {
            // A route that cannot be read cannot be re-sent or removed: say so loudly.
            log.error("key route {}: stored record does not parse; ignored", serviceId);
            return Optional.empty();
        }
    }

    @Override
    public void putRoute(KeyRouteEntry entry) {
        routes.put(entry.getRoute().getServiceId(), entry.toByteArray());
    }

    @Override
    public void removeRoute(String serviceId) {
        routes.remove(serviceId);
    }
}

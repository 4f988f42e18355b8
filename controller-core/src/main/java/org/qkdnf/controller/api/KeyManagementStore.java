package org.qkdnf.controller.api;

import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmNode;

/**
 * What the key-management view keeps across a controller restart: each key manager's
 * registration (hello and inventory) and every key route with its state. Kept apart from
 * {@link QkdTopologyStore} so hosts add it without touching the quantum-layer store. Not intended
 * for direct use: the key-management manager owns it.
 *
 * <p>Each write is durable when it returns, except the deferred ones (durable once a later
 * {@link #flush()} completes). Implementations are thread-safe.
 */
public interface KeyManagementStore {

    /** Registrations by qkdn_id (only {@code hello} and {@code inventory} are set). */
    Map<String, KmNode> loadNodes();

    /** Stores a registration; only its {@code hello} and {@code inventory} are kept. */
    void putNode(KmNode registration);

    /** Routes by service_id. */
    Map<String, KeyRouteEntry> loadRoutes();

    /** The route of {@code serviceId}, if stored; the default reads them all. */
    default Optional<KeyRouteEntry> loadRoute(String serviceId) {
        return Optional.ofNullable(loadRoutes().get(serviceId));
    }

    void putRoute(KeyRouteEntry entry);

    void removeRoute(String serviceId);

    /**
     * Stores a route like {@link #putRoute} but may return before it is durable: it is durable
     * once a {@link #flush()} called after it completes. The default writes synchronously.
     */
    default void putRouteDeferred(KeyRouteEntry entry) {
        putRoute(entry);
    }

    /** Forgets a route like {@link #removeRoute}, durable after the next {@link #flush()}. */
    default void removeRouteDeferred(String serviceId) {
        removeRoute(serviceId);
    }

    /** Completes once every deferred write made before the call is durable; never blocks. */
    default CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }
}

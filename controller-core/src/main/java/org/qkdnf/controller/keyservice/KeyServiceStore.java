package org.qkdnf.controller.keyservice;

import java.util.Collection;
import java.util.concurrent.CompletableFuture;
import org.qkdnf.proto.northbound.v1.KeyService;

/**
 * Where key services (spec, state and routes) are kept so that they survive a controller restart.
 * Called by {@link KeyServiceManager} from its one thread; a call returns once the change is
 * durable (for a durable store).
 */
public interface KeyServiceStore {

    Collection<KeyService> loadAll();

    /** Saves (or replaces) a service, by its service_id. */
    void save(KeyService service);

    /** Forgets a service; a no-op when there is none. */
    void remove(String serviceId);

    /**
     * Saves like {@link #save} but may return before the change is durable: it is durable once a
     * {@link #flush()} called after it completes. Lets the manager batch many changes into one
     * device sync. The default saves synchronously.
     */
    default void saveDeferred(KeyService service) {
        save(service);
    }

    /** Removes like {@link #remove}, durable after the next {@link #flush()}; see {@link #saveDeferred}. */
    default void removeDeferred(String serviceId) {
        remove(serviceId);
    }

    /**
     * Completes once every deferred change made before the call is durable; never blocks the
     * caller. The default is already complete (nothing is deferred).
     */
    default CompletableFuture<Void> flush() {
        return CompletableFuture.completedFuture(null);
    }

    /**
     * Whether the key-management store's flush (which makes a key route INSTALLING durable before
     * its install is sent) also makes durable every change staged here and every reservation staged
     * before it, because the host commits those stores together. When true the manager hands a
     * route to key management as soon as its write-ahead is staged: the route's own sync then
     * covers the write-ahead, one device sync less on the way of every install and reroute. The
     * default is false: the manager waits for {@link #flush()} first.
     */
    default boolean flushedWithKeyRoutes() {
        return false;
    }
}

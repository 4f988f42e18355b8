package org.qkdnf.controller.keyservice;

import java.util.Collection;
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
}

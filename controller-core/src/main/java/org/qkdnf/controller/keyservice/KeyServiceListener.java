package org.qkdnf.controller.keyservice;

import org.qkdnf.proto.northbound.v1.KeyService;

/** Told of every change of a key service's state or route(s). */
public interface KeyServiceListener {

    /**
     * Called on the manager's thread, in order, once the change is durable (a crash cannot take
     * back a state a listener was told of); must return at once.
     *
     * @param service the service after the change (its last state when {@code removed})
     * @param removed whether the service was deleted
     */
    void keyServiceChanged(KeyService service, boolean removed);
}

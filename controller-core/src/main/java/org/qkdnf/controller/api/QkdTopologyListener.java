package org.qkdnf.controller.api;

/** Receives topology events. Called on the event-dispatch thread: must return at once. */
@FunctionalInterface
public interface QkdTopologyListener {
    void event(QkdTopologyEvent event);
}

package org.qkdnf.controller.api;

/** Where a store sends the events its changes produce (the manager, which posts them to listeners). */
@FunctionalInterface
public interface QkdTopologyStoreDelegate {
    /** Must return at once: called inside the store's update path. */
    void notify(QkdTopologyEvent event);
}

package org.qkdnf.controller.app.store;

import org.onlab.junit.TestUtils;
import org.onosproject.store.service.StorageService;
import org.qkdnf.controller.api.KeyManagementStore;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.app.testing.TestClusterService;

/** Activates and deactivates the cluster store for tests of other packages, as SCR would. */
public final class StoreTestAccess {

    private StoreTestAccess() {
    }

    public static QkdTopologyStore activated(StorageService storage) throws Exception {
        return activated(storage, new TestClusterService("instance-1"));
    }

    /** The store of one instance ({@code cluster}'s local node) of the cluster whose storage is {@code storage}. */
    public static QkdTopologyStore activated(StorageService storage, TestClusterService cluster) throws Exception {
        DistributedQkdTopologyStore store = new DistributedQkdTopologyStore();
        TestUtils.setField(store, "storageService", storage);
        TestUtils.setField(store, "clusterService", cluster);
        store.activate();
        return store;
    }

    /** The key-management store of one instance of the cluster whose storage is {@code storage}. */
    public static KeyManagementStore activatedKeyManagement(StorageService storage) throws Exception {
        DistributedKeyManagementStore store = new DistributedKeyManagementStore();
        TestUtils.setField(store, "storageService", storage);
        store.activate();
        return store;
    }

    public static void deactivate(QkdTopologyStore store) {
        ((DistributedQkdTopologyStore) store).deactivate();
    }
}

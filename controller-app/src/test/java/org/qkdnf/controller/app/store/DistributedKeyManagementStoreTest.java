package org.qkdnf.controller.app.store;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.onlab.junit.TestUtils;
import org.qkdnf.controller.app.testing.ClusterStorageService;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.PoolReport;

class DistributedKeyManagementStoreTest {

    static final String A = "10000000-0000-4000-8000-000000000001";
    static final String S = "5e000000-0000-4000-8000-000000000001";

    private final ClusterStorageService cluster = new ClusterStorageService();

    private DistributedKeyManagementStore instance() throws Exception {
        DistributedKeyManagementStore s = new DistributedKeyManagementStore();
        TestUtils.setField(s, "storageService", cluster);
        s.activate();
        return s;
    }

    @Test
    void anotherInstanceOrARestartSeesRoutesAndRegistrationsButNotVolatileFields() throws Exception {
        DistributedKeyManagementStore first = instance();
        KeyRouteEntry e = KeyRouteEntry.newBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_INSTALLED)
                .setRoute(KeyRoute.newBuilder().setServiceId(S).setBufferBits(64)).build();
        first.putRoute(e);
        first.putNode(KmNode.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(A).setKmeId("kme-a"))
                .setConnected(true).setPoolReport(PoolReport.getDefaultInstance()).build());
        DistributedKeyManagementStore second = instance();
        assertThat(second.loadRoutes()).containsExactlyEntriesOf(java.util.Map.of(S, e));
        assertThat(second.loadNodes().get(A).getHello().getKmeId()).isEqualTo("kme-a");
        assertThat(second.loadNodes().get(A).getConnected()).isFalse();
        assertThat(second.loadNodes().get(A).hasPoolReport()).isFalse();
        second.removeRoute(S);
        assertThat(first.loadRoutes()).isEmpty();
    }
}

package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;
import org.qkdnf.proto.keymgmt.v1.PoolReport;

class MvStoreKeyManagementStoreTest {

    static final String A = "10000000-0000-4000-8000-000000000001";
    static final String B = "20000000-0000-4000-8000-000000000002";
    static final String S1 = "5e000000-0000-4000-8000-000000000001";
    static final String S2 = "5e000000-0000-4000-8000-000000000002";

    @TempDir
    Path dir;

    static KeyRouteEntry entry(String service, KeyRouteState state) {
        return KeyRouteEntry.newBuilder().setState(state).setRoute(KeyRoute.newBuilder().setServiceId(service)
                .setMasterSaeId("m").setSlaveSaeId("s").addRouteQkdnIds(A).addRouteQkdnIds(B)
                .addRouteQkdlIds("ab000000-0000-4000-8000-0000000000ab").setBufferBits(64)).build();
    }

    @Test
    void routesAndRegistrationsSurviveReopeningAndVolatileFieldsAreNotKept() throws IOException {
        Path file = dir.resolve(MvStoreKeyManagementStore.FILE_NAME);
        try (MvStoreKeyManagementStore s = MvStoreKeyManagementStore.open(file)) {
            s.putRoute(entry(S1, KeyRouteState.KEY_ROUTE_STATE_INSTALLED));
            s.putRoute(entry(S2, KeyRouteState.KEY_ROUTE_STATE_INSTALLING));
            s.putRoute(entry(S2, KeyRouteState.KEY_ROUTE_STATE_REMOVING));
            s.putRoute(entry(S1, KeyRouteState.KEY_ROUTE_STATE_INSTALLED));
            s.removeRoute(S1);
            s.putRoute(entry(S1, KeyRouteState.KEY_ROUTE_STATE_INSTALLED));
            s.putNode(KmNode.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(A).setKmeId("kme-a"))
                    .setInventory(KmsInventory.newBuilder().addKmLinks(KmLink.newBuilder().setQkdlId("l")
                            .setNeighbourQkdnId(B)))
                    .setConnected(true)
                    .setPoolReport(PoolReport.newBuilder().addPools(PoolLevel.newBuilder().setAvailableBits(5)))
                    .build());
        }
        try (MvStoreKeyManagementStore s = MvStoreKeyManagementStore.open(file)) {
            assertThat(s.loadRoutes()).containsEntry(S1, entry(S1, KeyRouteState.KEY_ROUTE_STATE_INSTALLED))
                    .containsEntry(S2, entry(S2, KeyRouteState.KEY_ROUTE_STATE_REMOVING)).hasSize(2);
            KmNode a = s.loadNodes().get(A);
            assertThat(a.getHello().getKmeId()).isEqualTo("kme-a");
            assertThat(a.getInventory().getKmLinksCount()).isEqualTo(1);
            assertThat(a.getConnected()).isFalse();
            assertThat(a.hasPoolReport()).isFalse();
        }
    }

    @Test
    void aFileThatIsNotAStoreIsRefused() throws IOException {
        Path file = dir.resolve(MvStoreKeyManagementStore.FILE_NAME);
        Files.writeString(file, "not an MVStore file, just text that is long enough to be read as a header");
        assertThatThrownBy(() -> MvStoreKeyManagementStore.open(file)).isInstanceOf(IOException.class);
    }
}

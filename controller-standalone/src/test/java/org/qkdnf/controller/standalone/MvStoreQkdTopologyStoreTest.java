package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.standalone.Agents.link;
import static org.qkdnf.controller.standalone.Agents.node;
import static org.qkdnf.controller.standalone.Agents.perf;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

class MvStoreQkdTopologyStoreTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    @TempDir
    Path dir;

    /**
     * What a kill -9 leaves is what was written to the file: copy the file while the store is
     * still open (never closed, so nothing is flushed at close) and open the copy.
     */
    @Test
    void acknowledgedChangesAreOnDiskBeforeClose() throws Exception {
        Path file = dir.resolve("live.mv.db");
        MvStoreQkdTopologyStore store = MvStoreQkdTopologyStore.open(file);
        QkdTopologyManager manager = new QkdTopologyManager(store);
        manager.applyInventory(node(A, link(AB, A, B)));
        manager.applyInventory(node(B, link(AB, B, A)));
        manager.linkDown(B, AB);
        manager.applyPerformance(A, perf(AB, 500, 0.01));
        manager.updateSettings(manager.settings().withQberDegradedThreshold(0.06));

        Path crashed = dir.resolve("crashed.mv.db");
        Files.copy(file, crashed);
        try (MvStoreQkdTopologyStore reopened = MvStoreQkdTopologyStore.open(crashed)) {
            assertThat(reopened.getNodes()).hasSize(2);
            QkdLinkInfo l = reopened.getLink(AB).orElseThrow();
            assertThat(l.reportCount()).isEqualTo(2);
            assertThat(l.endStatus(B)).contains(QkdlStatus.QKDL_STATUS_OFF);
            assertThat(l.status()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
            assertThat(l.hasPerformance()).as("performance is not durable, by design").isFalse();
            assertThat(reopened.getSettings().orElseThrow().qberDegradedThreshold()).isEqualTo(0.06);
        }
        manager.close();
        store.close();
    }

    @Test
    void removedNodesAndLinksStayRemoved() throws Exception {
        Path file = dir.resolve("c.mv.db");
        try (MvStoreQkdTopologyStore store = MvStoreQkdTopologyStore.open(file)) {
            QkdTopologyManager manager = new QkdTopologyManager(store);
            manager.applyInventory(node(A, link(AB, A, B)));
            manager.removeNode(A);
            manager.close();
        }
        try (MvStoreQkdTopologyStore store = MvStoreQkdTopologyStore.open(file)) {
            assertThat(store.getNodes()).isEmpty();
            assertThat(store.getLinks()).isEmpty();
        }
    }
}

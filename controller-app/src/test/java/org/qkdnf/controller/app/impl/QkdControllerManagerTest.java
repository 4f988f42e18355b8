package org.qkdnf.controller.app.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onlab.junit.TestUtils;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.app.osgi.StandInCoreService;
import org.qkdnf.controller.app.store.StoreTestAccess;
import org.qkdnf.controller.app.testing.ClusterStorageService;
import org.qkdnf.controller.app.testing.RecordingComponentConfigService;
import org.qkdnf.controller.app.testing.TestComponentContext;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

class QkdControllerManagerTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    private final ClusterStorageService cluster = new ClusterStorageService();
    private final RecordingComponentConfigService cfg = new RecordingComponentConfigService();
    private final StandInCoreService core = new StandInCoreService();
    private QkdTopologyStore store;
    private QkdControllerManager manager;

    @BeforeEach
    void setUp() throws Exception {
        store = StoreTestAccess.activated(cluster);
        manager = new QkdControllerManager();
        TestUtils.setField(manager, "coreService", core);
        TestUtils.setField(manager, "cfgService", cfg);
        TestUtils.setField(manager, "store", store);
    }

    @AfterEach
    void tearDown() {
        StoreTestAccess.deactivate(store);
    }

    @Test
    void activationRegistersTheAppAndItsPropertiesWithDefaults() {
        manager.activate(new TestComponentContext());
        assertThat(core.getAppId(QkdControllerManager.APP_NAME)).isNotNull();
        assertThat(cfg.registered).contains(QkdControllerManager.class.getName());
        assertThat(manager.settings().qberDegradedThreshold()).isEqualTo(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD_DEFAULT);
        manager.deactivate();
        assertThat(cfg.registered).doesNotContain(QkdControllerManager.class.getName());
    }

    @Test
    void theDefaultThresholdIsTheCoresDefault() {
        assertThat(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD_DEFAULT)
                .isEqualTo(ControllerSettings.QBER_DEGRADED_THRESHOLD_DEFAULT);
    }

    @Test
    void thresholdPropertyAtActivationTakesEffectAndIsStored() {
        manager.activate(new TestComponentContext().with(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD, "0.05"));
        assertThat(manager.settings().qberDegradedThreshold()).isEqualTo(0.05);
        assertThat(store.getSettings().orElseThrow().qberDegradedThreshold()).isEqualTo(0.05);
        manager.deactivate();
    }

    @Test
    void modifiedThresholdReevaluatesLinksAndNotifiesListeners() throws Exception {
        manager.activate(new TestComponentContext());
        List<QkdTopologyEvent> events = new CopyOnWriteArrayList<>();
        manager.addListener(events::add);
        manager.applyInventory(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        manager.applyInventory(node(B, linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE)));
        manager.applyPerformance(A, perf(AB, QkdlStatus.QKDL_STATUS_ACTIVE, 1000, 0.06));
        assertThat(manager.getLink(AB).orElseThrow().degraded()).isFalse();

        manager.modified(new TestComponentContext().with(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD, 0.05));

        assertThat(manager.settings().qberDegradedThreshold()).isEqualTo(0.05);
        assertThat(manager.getLink(AB).orElseThrow().degraded()).isTrue();
        awaitEvent(events, QkdTopologyEvent.Type.LINK_STATUS_CHANGED);
        manager.deactivate();
    }

    @Test
    void invalidThresholdsAreRefusedAndTheSettingsInForceStay() {
        manager.activate(new TestComponentContext().with(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD, "0.07"));
        manager.modified(new TestComponentContext().with(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD, "abc"));
        assertThat(manager.settings().qberDegradedThreshold()).isEqualTo(0.07);
        manager.modified(new TestComponentContext().with(OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD, "0.9"));
        assertThat(manager.settings().qberDegradedThreshold()).isEqualTo(0.07);
        manager.modified(new TestComponentContext());
        assertThat(manager.settings().qberDegradedThreshold()).as("absent: unchanged").isEqualTo(0.07);
        manager.deactivate();
    }

    private static void awaitEvent(List<QkdTopologyEvent> events, QkdTopologyEvent.Type type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < deadline) {
            if (events.stream().anyMatch(e -> e.type() == type)) {
                return;
            }
            Thread.sleep(10);
        }
        throw new AssertionError("no " + type + " event in " + events);
    }
}

package org.qkdnf.controller.app.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onlab.junit.TestUtils;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyEvent.Type;
import org.qkdnf.controller.api.QkdTopologyException;
import org.qkdnf.controller.app.testing.ClusterStorageService;
import org.qkdnf.controller.app.testing.TestClusterService;
import org.onosproject.cluster.ClusterEvent;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

class DistributedQkdTopologyStoreTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    /** The cluster's storage, shared by the store "instances" of a test. */
    private final ClusterStorageService cluster = new ClusterStorageService();
    private final List<DistributedQkdTopologyStore> started = new CopyOnWriteArrayList<>();

    @AfterEach
    void stopAll() {
        started.forEach(DistributedQkdTopologyStore::deactivate);
    }

    private int instances;

    /** One more ONOS instance's store (instance-1, instance-2, ...), activated the way SCR does it. */
    private DistributedQkdTopologyStore instance() throws Exception {
        return instance(new TestClusterService("instance-" + ++instances));
    }

    private DistributedQkdTopologyStore instance(TestClusterService clusterService) throws Exception {
        DistributedQkdTopologyStore store = new DistributedQkdTopologyStore();
        TestUtils.setField(store, "storageService", cluster);
        TestUtils.setField(store, "clusterService", clusterService);
        store.activate();
        started.add(store);
        return store;
    }

    private static List<Type> types(List<QkdTopologyEvent> events) {
        return events.stream().map(QkdTopologyEvent::type).collect(Collectors.toList());
    }

    private DistributedQkdTopologyStore store;
    private final List<QkdTopologyEvent> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        store = instance();
        store.setDelegate(events::add);
    }

    @Test
    void inventoriesOfBothEndsMakeOneActiveLinkInTheClusterMaps() {
        QkdTopologyManager manager = new QkdTopologyManager(store);
        manager.applyInventory(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        assertThat(store.getLink(AB).orElseThrow().status()).isEqualTo(QkdlStatus.QKDL_STATUS_PENDING);
        manager.applyInventory(node(B, linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE)));

        assertThat(store.getNodes()).extracting(QkdNodeInfo::qkdnId).containsExactlyInAnyOrder(A, B);
        QkdLinkInfo link = store.getLink(AB).orElseThrow();
        assertThat(link.status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat(link.reportCount()).isEqualTo(2);
        assertThat(cluster.map(DistributedQkdTopologyStore.NODES_MAP).keySet()).containsExactlyInAnyOrder(A, B);
        assertThat(cluster.map(DistributedQkdTopologyStore.LINKS_MAP).keySet()).containsExactly(AB);
        manager.close();
    }

    @Test
    void changesReachTheDelegateAsTopologyEvents() {
        store.updateNode(A, n -> new QkdNodeInfo(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)),
                true, Instant.now()));
        store.updateLink(AB, l -> QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        store.updateLink(AB, l -> l.withReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE), 0.08));
        store.updateLinkPerformance(AB, l -> l.withPerformance(A, perf(AB, QkdlStatus.QKDL_STATUS_ACTIVE, 900, 0.02), 0.08));
        store.updateLinkPerformance(AB, l -> l.withPerformance(A, perf(AB, QkdlStatus.QKDL_STATUS_ACTIVE, 800, 0.12), 0.08));
        store.updateLink(AB, l -> null);
        store.updateNode(A, n -> null);

        assertThat(types(events)).containsExactly(
                Type.NODE_ADDED, Type.NODE_CONNECTED,
                Type.LINK_ADDED,
                Type.LINK_UPDATED, Type.LINK_STATUS_CHANGED,          // second end: PENDING -> ACTIVE
                Type.LINK_PERFORMANCE,
                Type.LINK_STATUS_CHANGED, Type.LINK_PERFORMANCE,      // QBER 0.12 > 0.08: degraded
                Type.LINK_REMOVED,
                Type.NODE_REMOVED);
        QkdTopologyEvent degraded = events.get(6);
        assertThat(degraded.link().orElseThrow().degraded()).isTrue();
        assertThat(degraded.previousLink().orElseThrow().degraded()).isFalse();
    }

    @Test
    void anUnchangedUpdateWritesNothingAndPostsNothing() {
        store.updateLink(AB, l -> QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        long version = cluster.<String, byte[]>map(DistributedQkdTopologyStore.LINKS_MAP).get(AB).version();
        events.clear();

        store.updateLink(AB, l -> l);

        assertThat(cluster.<String, byte[]>map(DistributedQkdTopologyStore.LINKS_MAP).get(AB).version()).isEqualTo(version);
        assertThat(events).isEmpty();
    }

    @Test
    void anUpdateFunctionThatThrowsChangesNothing() {
        store.updateLink(AB, l -> QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        events.clear();
        assertThatThrownBy(() -> store.updateLink(AB, l -> {
            throw new QkdTopologyException(QkdTopologyException.Reason.CONFLICT, "no");
        })).isInstanceOf(QkdTopologyException.class);
        assertThat(store.getLink(AB).orElseThrow().reportCount()).isEqualTo(1);
        assertThat(events).isEmpty();
    }

    @Test
    void anotherInstanceOnTheSameMapsSeesTheTopologyAndItsChanges() throws Exception {
        QkdTopologyManager manager = new QkdTopologyManager(store);
        manager.applyInventory(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        manager.updateSettings(manager.settings().withQberDegradedThreshold(0.05));

        DistributedQkdTopologyStore other = instance();
        List<QkdTopologyEvent> otherEvents = new CopyOnWriteArrayList<>();
        other.setDelegate(otherEvents::add);
        assertThat(other.getNode(A)).isPresent();
        assertThat(other.getLink(AB).orElseThrow().nodeIds()).containsExactly(A, B);
        assertThat(other.getSettings()).contains(manager.settings());

        // A change made through the first instance is an event on the second one too.
        manager.applyInventory(node(B, linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE)));
        assertThat(other.getLink(AB).orElseThrow().status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat(types(otherEvents)).contains(Type.NODE_ADDED, Type.LINK_UPDATED, Type.LINK_STATUS_CHANGED);
        manager.close();
    }

    @Test
    void aRecreatedStoreFindsEverythingThatWasAcknowledged() throws Exception {
        QkdTopologyManager manager = new QkdTopologyManager(store);
        manager.applyInventory(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        manager.applyInventory(node(B, linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE)));
        manager.linkDown(B, AB);
        manager.updateSettings(manager.settings().withQberDegradedThreshold(0.06));
        manager.close();
        store.deactivate();
        started.remove(store);

        DistributedQkdTopologyStore restarted = instance();
        QkdTopologyManager again = new QkdTopologyManager(restarted);
        assertThat(again.getNodes()).hasSize(2);
        QkdLinkInfo link = again.getLink(AB).orElseThrow();
        assertThat(link.endStatus(B)).contains(QkdlStatus.QKDL_STATUS_OFF);
        assertThat(link.status()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
        assertThat(again.settings().qberDegradedThreshold()).isEqualTo(0.06);
        again.close();
    }

    @Test
    void performanceFiguresStayWithTheInstanceThatReceivedThem() throws Exception {
        store.updateLink(AB, l -> QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE))
                .withReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE), 0.08));
        DistributedQkdTopologyStore other = instance();
        long version = cluster.<String, byte[]>map(DistributedQkdTopologyStore.LINKS_MAP).get(AB).version();

        QkdLinkInfo after = store.updateLinkPerformance(AB,
                l -> l.withPerformance(A, perf(AB, QkdlStatus.QKDL_STATUS_ACTIVE, 1234, 0.01), 0.08));

        assertThat(after.skrBps()).isEqualTo(1234);
        assertThat(store.getLink(AB).orElseThrow().skrBps()).isEqualTo(1234);
        assertThat(cluster.<String, byte[]>map(DistributedQkdTopologyStore.LINKS_MAP).get(AB).version())
                .as("no cluster write for figures").isEqualTo(version);
        assertThat(other.getLink(AB).orElseThrow().hasPerformance()).isFalse();
    }

    @Test
    void aStatusCarriedByAPerformanceReportIsSharedWithTheCluster() throws Exception {
        store.updateLink(AB, l -> QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE))
                .withReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE), 0.08));
        DistributedQkdTopologyStore other = instance();
        List<QkdTopologyEvent> otherEvents = new CopyOnWriteArrayList<>();
        other.setDelegate(otherEvents::add);
        events.clear();

        store.updateLinkPerformance(AB, l -> l.withPerformance(A, perf(AB, QkdlStatus.QKDL_STATUS_PASSIVE, 10, 0.01), 0.08));

        assertThat(other.getLink(AB).orElseThrow().status()).isEqualTo(QkdlStatus.QKDL_STATUS_PASSIVE);
        assertThat(types(otherEvents)).containsExactly(Type.LINK_STATUS_CHANGED);
        assertThat(types(events)).containsExactly(Type.LINK_STATUS_CHANGED, Type.LINK_PERFORMANCE);
        assertThat(store.getLink(AB).orElseThrow().skrBps()).isEqualTo(10);
    }

    /**
     * Both ends of a link report through two instances at once: the second writer's first attempt
     * loses the race (its version is stale) and re-applies its update on the first one's result.
     */
    @Test
    void concurrentWritersOnTwoInstancesKeepBothEndsReports() throws Exception {
        DistributedQkdTopologyStore other = instance();
        AtomicBoolean raced = new AtomicBoolean();
        QkdLinkInfo result = other.updateLink(AB, current -> {
            if (raced.compareAndSet(false, true)) {
                // Meanwhile, on the first instance: A's end is written first.
                store.updateLink(AB, l -> QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
            }
            return current == null ? QkdLinkInfo.fromReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE))
                    : current.withReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE), 0.08);
        });
        assertThat(result.reportCount()).isEqualTo(2);
        assertThat(store.getLink(AB).orElseThrow().reportCount()).isEqualTo(2);
        assertThat(store.getLink(AB).orElseThrow().status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
    }

    @Test
    void agentsOfAnInstanceThatLeftAreMarkedDisconnectedByTheOthers() throws Exception {
        // instance-1 (setUp) hosts A's agent; instance-2 watches the cluster.
        store.updateNode(A, n -> new QkdNodeInfo(node(A), true, Instant.now()));
        TestClusterService cluster2 = new TestClusterService("instance-2");
        DistributedQkdTopologyStore other = instance(cluster2);
        List<QkdTopologyEvent> otherEvents = new CopyOnWriteArrayList<>();
        other.setDelegate(otherEvents::add);
        assertThat(other.getNode(A).orElseThrow().agentConnected()).isTrue();

        cluster2.post(new ClusterEvent(ClusterEvent.Type.INSTANCE_DEACTIVATED, TestClusterService.node("instance-1")));

        awaitTrue(() -> !other.getNode(A).orElseThrow().agentConnected());
        awaitTrue(() -> types(otherEvents).contains(Type.NODE_DISCONNECTED));
        assertThat(types(events)).as("instance-1's listeners see it too").contains(Type.NODE_DISCONNECTED);
    }

    @Test
    void aRestartedInstanceClearsTheConnectionsOfItsPreviousLife() throws Exception {
        store.updateNode(A, n -> new QkdNodeInfo(node(A), true, Instant.now()));
        store.deactivate();
        started.remove(store);
        instances = 0; // the same instance id again

        DistributedQkdTopologyStore restarted = instance();
        assertThat(restarted.getNode(A).orElseThrow().agentConnected()).isFalse();
    }

    @Test
    void aLateDisconnectFromTheAgentsOldInstanceDoesNotOverrideItsNewConnection() throws Exception {
        QkdTopologyManager one = new QkdTopologyManager(store);
        one.applyInventory(node(A));
        DistributedQkdTopologyStore other = instance();
        QkdTopologyManager two = new QkdTopologyManager(other);
        two.applyInventory(node(A));           // the agent reconnected to instance-2

        one.setAgentConnected(A, false);       // its old stream on instance-1 ends only now

        assertThat(other.getNode(A).orElseThrow().agentConnected()).isTrue();
        two.setAgentConnected(A, false);       // the host itself may
        assertThat(store.getNode(A).orElseThrow().agentConnected()).isFalse();
        one.close();
        two.close();
    }

    private static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition within 5 s").isLessThan(deadline);
            Thread.sleep(10);
        }
    }

    @Test
    void settingsRoundTripThroughTheClusterMap() {
        assertThat(store.getSettings()).isEmpty();
        ControllerSettings s = ControllerSettings.defaults().withQberDegradedThreshold(0.11).withReportIntervalMs(500);
        store.putSettings(s);
        assertThat(store.getSettings()).contains(s);
    }

    @Test
    void aCorruptRecordIsReportedWithItsKey() {
        cluster.<String, byte[]>map(DistributedQkdTopologyStore.NODES_MAP).put(A, new byte[] {1, 0, 0, 0, 99});
        assertThatThrownBy(() -> store.getNode(A)).isInstanceOf(IllegalStateException.class).hasMessageContaining(A);
    }
}

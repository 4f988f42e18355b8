package org.qkdnf.controller.app.provider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.testing.TestTopology.ifaceId;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_OFF;

import java.lang.reflect.Proxy;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onosproject.cluster.NodeId;
import org.onosproject.net.ConnectPoint;
import org.onosproject.net.Device;
import org.onosproject.net.LinkKey;
import org.onosproject.net.link.LinkProviderRegistryAdapter;
import org.onosproject.net.link.LinkProviderServiceAdapter;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.app.store.StoreTestAccess;
import org.qkdnf.controller.app.testing.ClusterLeadership;
import org.qkdnf.controller.app.testing.ClusterStorageService;
import org.qkdnf.controller.app.testing.RecordingDeviceProviderRegistry;
import org.qkdnf.controller.app.testing.TestClusterService;
import org.qkdnf.controller.impl.QkdTopologyManager;

/**
 * The publisher on the real topology manager and cluster store, with onos-api's provider registry
 * adapters recording what reaches ONOS, on the leading instance of a one-instance cluster.
 */
class QkdTopologyPublisherTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    private final RecordingDeviceProviderRegistry devices = new RecordingDeviceProviderRegistry();
    private final LinkProviderRegistryAdapter links = new LinkProviderRegistryAdapter();
    private final ClusterLeadership leadership = new ClusterLeadership();
    private final QkdTopologyPublisher publisher = new QkdTopologyPublisher();
    private QkdTopologyStore store;
    private QkdTopologyManager topology;

    @BeforeEach
    void setUp() throws Exception {
        TestClusterService cluster = new TestClusterService("instance-1");
        store = StoreTestAccess.activated(new ClusterStorageService(), cluster);
        topology = new QkdTopologyManager(store);
        publisher.deviceProviderRegistry = devices;
        publisher.linkProviderRegistry = links;
        publisher.deviceAdminService = devices.adminService();
        publisher.topology = topology;
        publisher.leadershipService = leadership.view(new NodeId("instance-1"));
        publisher.clusterService = cluster;
    }

    @AfterEach
    void tearDown() {
        publisher.deactivate();
        topology.close();
        StoreTestAccess.deactivate(store);
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** The count once it has not changed for 300 ms (at most 10 s): the events in flight are all out. */
    private static int quiet(java.util.concurrent.atomic.AtomicInteger count) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        int seen = count.get();
        long stableSince = System.nanoTime();
        while (System.nanoTime() - stableSince < TimeUnit.MILLISECONDS.toNanos(300) && System.nanoTime() < deadline) {
            Thread.sleep(20);
            int now = count.get();
            if (now != seen) {
                seen = now;
                stableSince = System.nanoTime();
            }
        }
        return seen;
    }

    private LinkProviderServiceAdapter onosLinks() {
        return links.registeredProvider();
    }

    private static LinkKey key(String from, String to) {
        return LinkKey.linkKey(new ConnectPoint(QkdDescriptions.deviceId(from), QkdDescriptions.port(ifaceId(from, AB))),
                new ConnectPoint(QkdDescriptions.deviceId(to), QkdDescriptions.port(ifaceId(to, AB))));
    }

    @Test
    void nodesBecomeDevicesAndAnActiveLinkBecomesTwoOnosLinks() throws Exception {
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE)));
        publisher.activate();
        eventually(() -> devices.devices.containsKey(QkdDescriptions.deviceId(A)));

        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE)));
        topology.applyPerformance(A, perf(AB, QKDL_STATUS_ACTIVE, 1_500, 0.02));
        eventually(() -> onosLinks().discoveredLinkDescriptions().size() == 2);

        Device.Type type = devices.devices.get(QkdDescriptions.deviceId(B)).type();
        assertThat(type).isEqualTo(Device.Type.OTHER);
        assertThat(devices.devices.get(QkdDescriptions.deviceId(B)).annotations().value("qkdnId")).isEqualTo(B);
        assertThat(devices.ports.get(QkdDescriptions.deviceId(A))).singleElement()
                .satisfies(p -> assertThat(p.annotations().value("qkdiId")).isEqualTo(ifaceId(A, AB)));
        assertThat(onosLinks().discoveredLinkDescriptions()).containsOnlyKeys(key(A, B), key(B, A));
        assertThat(onosLinks().discoveredLinkDescriptions().get(key(A, B)).annotations().value("qkdlId")).isEqualTo(AB);
        assertThat(devices.provider().id().scheme()).isEqualTo("qkd");
    }

    /**
     * A new leader reads the nodes, then the links: a node added in between appears in the links
     * only. Its link must wait for the node's own event (ONOS takes no link between devices it
     * does not know); before, the link went out first, and a CI run caught device B missing.
     */
    @Test
    void aLinkWhoseSecondDeviceIsNotGivenYetWaitsForItsNodesEvent() throws Exception {
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE)));
        topology.applyPerformance(A, perf(AB, QKDL_STATUS_ACTIVE, 1_500, 0.02));
        AtomicReference<QkdTopologyListener> listener = new AtomicReference<>();
        // The nodes as read before B was added, everything else as the manager has it; events by hand.
        publisher.topology = (QkdTopologyService) Proxy.newProxyInstance(
                getClass().getClassLoader(), new Class<?>[] {QkdTopologyService.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getNodes":
                            return List.of(topology.getNode(A).orElseThrow());
                        case "addListener":
                            listener.set((QkdTopologyListener) args[0]);
                            return null;
                        case "removeListener":
                            return null;
                        default:
                            return method.invoke(topology, args);
                    }
                });
        publisher.activate();
        eventually(() -> devices.devices.containsKey(QkdDescriptions.deviceId(A)) && listener.get() != null);
        // Handled after the leader's first pass: once A is given twice, that pass is over.
        listener.get().event(QkdTopologyEvent.ofNode(QkdTopologyEvent.Type.NODE_UPDATED, topology.getNode(A).orElseThrow()));
        eventually(() -> devices.connects.get() == 2);
        assertThat(onosLinks().discoveredLinkDescriptions()).as("links to a device ONOS does not know").isEmpty();

        listener.get().event(QkdTopologyEvent.ofNode(QkdTopologyEvent.Type.NODE_ADDED, topology.getNode(B).orElseThrow()));
        eventually(() -> onosLinks().discoveredLinkDescriptions().size() == 2);
        assertThat(devices.devices).containsKey(QkdDescriptions.deviceId(B));
    }

    @Test
    void aLinkThatGoesDownVanishes() throws Exception {
        publisher.activate();
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE)));
        eventually(() -> onosLinks().discoveredLinkDescriptions().size() == 2);

        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_OFF)));
        eventually(() -> onosLinks().discoveredLinkDescriptions().isEmpty());
        assertThat(devices.online).containsOnly(QkdDescriptions.deviceId(A), QkdDescriptions.deviceId(B));
    }

    @Test
    void aRemovedNodesLinksVanishAndItsDeviceIsDeleted() throws Exception {
        publisher.activate();
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE)));
        eventually(() -> onosLinks().discoveredLinkDescriptions().size() == 2);

        topology.removeNode(B);

        eventually(() -> !devices.devices.containsKey(QkdDescriptions.deviceId(B)));
        assertThat(onosLinks().vanishedDpid()).as("its links vanished").containsExactly(QkdDescriptions.deviceId(B));
        assertThat(devices.devices).containsOnlyKeys(QkdDescriptions.deviceId(A));
        assertThat(devices.online).containsOnly(QkdDescriptions.deviceId(A));
        assertThat(devices.removals).hasValue(1);
    }

    @Test
    void onlyTheLeaderPublishes() throws Exception {
        leadership.view(new NodeId("instance-0")).runForLeadership(QkdTopologyPublisher.TOPIC);
        publisher.activate();
        // Registered after the publisher's listener, so a node event this one has seen, the
        // publisher has queued already.
        java.util.concurrent.atomic.AtomicInteger nodeEvents = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.CountDownLatch bAdded = new java.util.concurrent.CountDownLatch(1);
        topology.addListener(e -> {
            if (e.node().isPresent()) {
                nodeEvents.incrementAndGet();
            }
            if (e.type() == QkdTopologyEvent.Type.NODE_ADDED && e.subjectId().equals(B)) {
                bAdded.countDown();
            }
        });
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE)));
        assertThat(bAdded.await(10, TimeUnit.SECONDS)).isTrue();
        int queuedAsFollower = quiet(nodeEvents);
        assertThat(queuedAsFollower).as("node events queued while a follower").isGreaterThanOrEqualTo(2);
        assertThat(devices.connects).as("devices published by a follower").hasValue(0);

        leadership.transfer(QkdTopologyPublisher.TOPIC, new NodeId("instance-1"));

        eventually(() -> devices.devices.size() == 2 && onosLinks().discoveredLinkDescriptions().size() == 2);
        // The publishing thread handles events in order: the leader publishes its two nodes once,
        // then each node event that came after the transfer (none once the inventories' events
        // are all out). Had it published the events queued while a follower, there would be more.
        int after = quiet(nodeEvents);
        assertThat(devices.connects.get()).isLessThanOrEqualTo(2 + after - queuedAsFollower);
    }
}

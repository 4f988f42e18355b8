package org.qkdnf.controller.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.testing.TestTopology.id;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_OFF;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_PASSIVE;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_PENDING;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyEvent.Type;
import org.qkdnf.controller.api.QkdTopologyException;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdlType;

class QkdTopologyManagerTest {

    private final String a = "10000000-0000-4000-8000-000000000001";
    private final String b = "20000000-0000-4000-8000-000000000002";
    private final String c = "30000000-0000-4000-8000-000000000003";
    private final String ab = "ab000000-0000-4000-8000-0000000000ab";

    private SimpleQkdTopologyStore store;
    private QkdTopologyManager manager;
    private final LinkedBlockingQueue<QkdTopologyEvent> events = new LinkedBlockingQueue<>();

    @BeforeEach
    void setUp() {
        store = new SimpleQkdTopologyStore();
        manager = new QkdTopologyManager(store);
        manager.addListener(events::add);
    }

    @AfterEach
    void tearDown() {
        manager.close();
    }

    private QkdTopologyEvent next(Type type) throws InterruptedException {
        while (true) {
            QkdTopologyEvent e = events.poll(5, TimeUnit.SECONDS);
            assertThat(e).as("event " + type).isNotNull();
            if (e.type() == type) {
                return e;
            }
        }
    }

    /** The next event of that type whose link satisfies {@code p} (earlier ones are skipped). */
    private QkdLinkInfo nextLink(Type type, java.util.function.Predicate<QkdLinkInfo> p) throws InterruptedException {
        while (true) {
            QkdLinkInfo l = next(type).link().orElseThrow();
            if (p.test(l)) {
                return l;
            }
        }
    }

    @Test
    void oneEndReportedIsPendingBothActiveIsActive() throws Exception {
        manager.applyInventory(node(a, linkEnd(ab, a, b, QKDL_STATUS_ACTIVE)));
        assertThat(next(Type.NODE_ADDED).subjectId()).isEqualTo(a);
        QkdLinkInfo link = next(Type.LINK_ADDED).link().orElseThrow();
        assertThat(link.status()).isEqualTo(QKDL_STATUS_PENDING);
        assertThat(link.reportCount()).isEqualTo(1);

        manager.applyInventory(node(b, linkEnd(ab, b, a, QKDL_STATUS_ACTIVE)));
        QkdTopologyEvent changed = next(Type.LINK_STATUS_CHANGED);
        assertThat(changed.link().orElseThrow().status()).isEqualTo(QKDL_STATUS_ACTIVE);
        assertThat(changed.previousLink().orElseThrow().status()).isEqualTo(QKDL_STATUS_PENDING);

        QkdLinkInfo merged = manager.getLink(ab).orElseThrow();
        assertThat(manager.getLinks()).hasSize(1);
        assertThat(merged.nodeIds()).containsExactly(a, b);
        assertThat(merged.reportOf(a).orElseThrow().getQkdlLocal().getQkdnId()).isEqualTo(a);
        assertThat(merged.reportOf(b).orElseThrow().getQkdlLocal().getQkdnId()).isEqualTo(b);
        assertThat(merged.link().getPhysQkdRole().name()).isEqualTo("PHYS_QKD_ROLE_TRANSMITTER");
        assertThat(manager.getNode(a).orElseThrow().agentConnected()).isTrue();
    }

    @Test
    void statusFollowsTheWorstEndAndLinkDownTurnsItOff() throws Exception {
        bothEndsActive();
        manager.applyPerformance(b, perf(ab, QKDL_STATUS_PASSIVE, 0, 0.01));
        assertThat(manager.getLink(ab).orElseThrow().status()).isEqualTo(QKDL_STATUS_PASSIVE);
        manager.applyPerformance(b, perf(ab, QKDL_STATUS_ACTIVE, 1000, 0.01));
        assertThat(manager.getLink(ab).orElseThrow().status()).isEqualTo(QKDL_STATUS_ACTIVE);

        manager.linkDown(a, ab);
        assertThat(manager.getLink(ab).orElseThrow().status()).isEqualTo(QKDL_STATUS_OFF);
        nextLink(Type.LINK_STATUS_CHANGED, l -> l.status() == QKDL_STATUS_OFF);

        // repaired: the end reports ACTIVE again
        manager.applyPerformance(a, perf(ab, QKDL_STATUS_ACTIVE, 900, 0.02));
        assertThat(manager.getLink(ab).orElseThrow().status()).isEqualTo(QKDL_STATUS_ACTIVE);

        manager.applyPerformance(b, perf(ab, QKDL_STATUS_OFF, 0, 0.5));
        assertThat(manager.getLink(ab).orElseThrow().status()).isEqualTo(QKDL_STATUS_OFF);
    }

    @Test
    void degradedWhenQberAboveThresholdAndThresholdChangeReevaluates() throws Exception {
        bothEndsActive();
        manager.applyPerformance(a, perf(ab, QKDL_STATUS_ACTIVE, 1000, 0.05));
        assertThat(manager.getLink(ab).orElseThrow().degraded()).isFalse();
        QkdLinkInfo perf = next(Type.LINK_PERFORMANCE).link().orElseThrow();
        assertThat(perf.qber()).isEqualTo(0.05);
        assertThat(perf.skrBps()).isEqualTo(1000);

        manager.applyPerformance(a, perf(ab, QKDL_STATUS_ACTIVE, 500, 0.09));
        assertThat(manager.getLink(ab).orElseThrow().degraded()).isTrue();
        nextLink(Type.LINK_STATUS_CHANGED, QkdLinkInfo::degraded);

        manager.updateSettings(manager.settings().withQberDegradedThreshold(0.1));
        assertThat(manager.getLink(ab).orElseThrow().degraded()).isFalse();
        assertThat(store.getSettings()).contains(manager.settings());
        nextLink(Type.LINK_STATUS_CHANGED, l -> !l.degraded());
    }

    @Test
    void everyAcceptedPerformanceUpdatePostsAnEvent() throws Exception {
        bothEndsActive();
        events.clear();
        for (int i = 0; i < 100; i++) {
            manager.applyPerformance(i % 2 == 0 ? a : b, perf(ab, QKDL_STATUS_ACTIVE, i, 0.01));
        }
        for (int i = 0; i < 100; i++) {
            assertThat(next(Type.LINK_PERFORMANCE).link().orElseThrow().skrBps()).isEqualTo(i);
        }
    }

    @Test
    void unknownLinkIsNotFoundAndForeignLinkIsDenied() {
        bothEndsActive();
        assertThatThrownBy(() -> manager.applyPerformance(a, perf(id(), QKDL_STATUS_ACTIVE, 1, 0.01)))
                .isInstanceOfSatisfying(QkdTopologyException.class,
                        e -> assertThat(e.reason()).isEqualTo(QkdTopologyException.Reason.NOT_FOUND));
        assertThatThrownBy(() -> manager.applyPerformance(c, perf(ab, QKDL_STATUS_ACTIVE, 1, 0.01)))
                .isInstanceOfSatisfying(QkdTopologyException.class,
                        e -> assertThat(e.reason()).isEqualTo(QkdTopologyException.Reason.PERMISSION_DENIED));
        assertThatThrownBy(() -> manager.linkDown(c, ab)).isInstanceOf(QkdTopologyException.class);
    }

    @Test
    void conflictingReportOfTheOtherEndChangesNothing() {
        manager.applyInventory(node(a, linkEnd(ab, a, b, QKDL_STATUS_ACTIVE)));
        // c claims the same link id towards a: contradicts a's report (a <-> b)
        QkdLink bogus = linkEnd(ab, c, a, QKDL_STATUS_ACTIVE);
        assertThatThrownBy(() -> manager.applyInventory(node(c, bogus)))
                .isInstanceOfSatisfying(QkdTopologyException.class,
                        e -> assertThat(e.reason()).isEqualTo(QkdTopologyException.Reason.CONFLICT));
        assertThat(manager.getNode(c)).isEmpty();
        // b reports the link as VIRT while a said PHYS
        QkdLink wrongType = linkEnd(ab, b, a, QKDL_STATUS_ACTIVE).toBuilder().setQkdlType(QkdlType.QKDL_TYPE_VIRT).build();
        assertThatThrownBy(() -> manager.applyInventory(node(b, wrongType)))
                .hasMessageContaining("qkdl_type");
        assertThat(manager.getLink(ab).orElseThrow().reportCount()).isEqualTo(1);
    }

    @Test
    void aNodeMayOnlyReportItsOwnEnd() {
        assertThatThrownBy(() -> manager.applyInventory(node(a, linkEnd(ab, b, a, QKDL_STATUS_ACTIVE))))
                .isInstanceOfSatisfying(QkdTopologyException.class,
                        e -> assertThat(e.reason()).isEqualTo(QkdTopologyException.Reason.PERMISSION_DENIED));
    }

    @Test
    void linkDroppedFromInventoryLosesThatEndAndGoesWhenNoEndIsLeft() throws Exception {
        bothEndsActive();
        manager.applyInventory(node(a));
        QkdLinkInfo l = manager.getLink(ab).orElseThrow();
        assertThat(l.reportCount()).isEqualTo(1);
        assertThat(l.status()).isEqualTo(QKDL_STATUS_PENDING);
        manager.applyInventory(node(b));
        assertThat(manager.getLink(ab)).isEmpty();
        assertThat(next(Type.LINK_REMOVED).subjectId()).isEqualTo(ab);
    }

    @Test
    void connectAndDisconnectAreEvents() throws Exception {
        manager.applyInventory(node(a));
        next(Type.NODE_CONNECTED);
        manager.setAgentConnected(a, false);
        assertThat(next(Type.NODE_DISCONNECTED).node().orElseThrow().agentConnected()).isFalse();
        assertThat(manager.setAgentConnected(c, true)).isEmpty();
        manager.removeNode(a);
        next(Type.NODE_REMOVED);
        assertThat(manager.getNodes()).isEmpty();
    }

    @Test
    void unchangedInventoryIsNoEvent() throws Exception {
        bothEndsActive();
        manager.applyPerformance(b, perf(ab, QKDL_STATUS_ACTIVE, 2, 0.01));
        nextLink(Type.LINK_PERFORMANCE, l -> l.skrBps() == 2);
        manager.applyInventory(node(a, linkEnd(ab, a, b, QKDL_STATUS_ACTIVE)));
        manager.applyPerformance(a, perf(ab, QKDL_STATUS_ACTIVE, 1, 0.01));
        List<Type> seen = new ArrayList<>();
        QkdTopologyEvent e;
        do {
            e = events.poll(5, TimeUnit.SECONDS);
            assertThat(e).isNotNull();
            seen.add(e.type());
        } while (e.type() != Type.LINK_PERFORMANCE);
        assertThat(seen).doesNotContain(Type.NODE_UPDATED, Type.LINK_UPDATED, Type.LINK_STATUS_CHANGED);
    }

    @Test
    void settingsValidateTheirFields() {
        assertThatThrownBy(() -> manager.settings().withQberDegradedThreshold(0.6)).hasMessageStartingWith("qberDegradedThreshold");
        assertThat(ControllerSettings.fromProperties(manager.settings().toProperties())).isEqualTo(manager.settings());
    }

    @Test
    void concurrentPerformanceUpdatesFromManyThreadsStayConsistent() throws Exception {
        int links = 50;
        int threads = 8;
        int perThread = 2_000;
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < links; i++) {
            String l = id();
            ids.add(l);
        }
        QkdLink[] endsA = ids.stream().map(l -> linkEnd(l, a, b, QKDL_STATUS_ACTIVE)).toArray(QkdLink[]::new);
        QkdLink[] endsB = ids.stream().map(l -> linkEnd(l, b, a, QKDL_STATUS_ACTIVE)).toArray(QkdLink[]::new);
        manager.applyInventory(node(a, endsA));
        manager.applyInventory(node(b, endsB));
        AtomicLong perfEvents = new AtomicLong();
        CountDownLatch all = new CountDownLatch(threads * perThread);
        manager.addListener(e -> {
            if (e.type() == Type.LINK_PERFORMANCE) {
                perfEvents.incrementAndGet();
                all.countDown();
            }
        });
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            int thread = t;
            futures.add(pool.submit(() -> {
                for (int i = 0; i < perThread; i++) {
                    String l = ids.get((thread * 7 + i) % links);
                    manager.applyPerformance(thread % 2 == 0 ? a : b,
                            perf(l, QKDL_STATUS_ACTIVE, thread * 1_000_000 + i, 0.01));
                }
            }));
        }
        for (Future<?> f : futures) {
            f.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();
        assertThat(all.await(30, TimeUnit.SECONDS)).isTrue();
        assertThat(perfEvents.get()).isEqualTo((long) threads * perThread);
        assertThat(manager.getLinks()).hasSize(links).allSatisfy(l -> {
            assertThat(l.status()).isEqualTo(QKDL_STATUS_ACTIVE);
            assertThat(l.reportCount()).isEqualTo(2);
            assertThat(l.hasPerformance()).isTrue();
        });
    }

    private void bothEndsActive() {
        manager.applyInventory(node(a, linkEnd(ab, a, b, QKDL_STATUS_ACTIVE)));
        manager.applyInventory(node(b, linkEnd(ab, b, a, QKDL_STATUS_ACTIVE)));
        assertThat(manager.getLink(ab).orElseThrow().status()).isEqualTo(QKDL_STATUS_ACTIVE);
    }
}

package org.qkdnf.controller.app.keyservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;

import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import org.onosproject.cluster.NodeId;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.app.impl.ClusterKeyManagers;
import org.qkdnf.controller.app.store.StoreTestAccess;
import org.qkdnf.controller.app.testing.AckingKeyManagers;
import org.qkdnf.controller.app.testing.ClusterLeadership;
import org.qkdnf.controller.app.testing.ClusterMessaging;
import org.qkdnf.controller.app.testing.ClusterStorageService;
import org.qkdnf.controller.app.testing.TestClusterService;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.Protection;

/**
 * ONOS instances sharing one storage, one leadership election and one messaging fabric (built on
 * the onos-api adapters), each with the real topology store and manager, key management with
 * acknowledging key managers on a real Sk stream (to every instance, or to one: then commands
 * reach them through {@link ClusterKeyManagers}), and a {@link KeyServiceComponent}. Topology: a
 * square A-B-D, A-C-D at {@value #SKR_BPS} bit/s per link, half of it per direction (lane); at the
 * default 90 % that is {@link #ADMISSIBLE} bit/s per direction, so four 2 kbit/s services from A
 * to D fill a side exactly (the core splits
 * a rate over both sides when no single route carries it, so any capacity left over on both sides
 * would admit a ninth).
 *
 * <p>Link performance is applied on every instance unless a test says which instance its agents
 * report to (then the leader learns it through the performance relay).
 */
public final class KeyServiceCluster implements AutoCloseable {

    public static final String A = "a0000000-0000-4000-8000-00000000000a";
    public static final String B = "b0000000-0000-4000-8000-00000000000b";
    public static final String C = "c0000000-0000-4000-8000-00000000000c";
    public static final String D = "d0000000-0000-4000-8000-00000000000d";
    public static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    public static final String BD = "bd000000-0000-4000-8000-0000000000bd";
    public static final String AC = "ac000000-0000-4000-8000-0000000000ac";
    public static final String CD = "cd000000-0000-4000-8000-0000000000cd";
    public static final List<String> LINKS = List.of(AB, BD, AC, CD);
    public static final long SKR_BPS = 17_778;
    public static final long ADMISSIBLE = 8_000;
    /** Both lanes of every link. */
    public static final List<String> LANES = List.of(LaneIds.of(AB, A), LaneIds.of(AB, B), LaneIds.of(BD, B),
            LaneIds.of(BD, D), LaneIds.of(AC, A), LaneIds.of(AC, C), LaneIds.of(CD, C), LaneIds.of(CD, D));

    final ClusterStorageService storage = new ClusterStorageService();
    final ClusterLeadership leadership = new ClusterLeadership();
    private final ClusterMessaging messaging = new ClusterMessaging();
    private final List<Instance> instances = new ArrayList<>();

    /** One ONOS instance. */
    public final class Instance {
        final NodeId id;
        final QkdTopologyStore store;
        public final QkdTopologyManager topology;
        final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();
        final KeyManagementManager km;
        final ClusterKeyManagers remoteKms;
        /** Null when the key managers are connected to another instance. */
        final AckingKeyManagers kms;
        public KeyServiceComponent services;
        private final TestClusterService cluster;

        Instance(String name, boolean withKeyManagers) throws Exception {
            id = new NodeId(name);
            cluster = new TestClusterService(name);
            store = StoreTestAccess.activated(storage, cluster);
            topology = new QkdTopologyManager(store);
            km = new KeyManagementManager(StoreTestAccess.activatedKeyManagement(storage), scheduler,
                    ControllerSettings::defaults,
                    Clock.systemUTC());
            remoteKms = new ClusterKeyManagers(storage, cluster, messaging.view(id), km);
            remoteKms.start();
            km.useRemote(remoteKms);
            kms = withKeyManagers ? new AckingKeyManagers(km, List.of(A, B, C, D)) : null;
            services = wired();
        }

        private KeyServiceComponent wired() {
            KeyServiceComponent s = new KeyServiceComponent();
            s.storageService = storage;
            s.leadershipService = leadership.view(id);
            s.clusterService = cluster;
            s.communicationService = messaging.view(id);
            s.topology = topology;
            s.keyManagement = km;
            return s;
        }

        /** Deactivates the key-service component, as when the app stops; {@link #startKeyServices} brings it back. */
        public void stopKeyServices() {
            services.deactivate();
        }

        /** Activates a new key-service component after {@link #stopKeyServices}. */
        public void startKeyServices() {
            services = wired();
            services.activate();
        }

        void reportPerformance() {
            for (String l : LINKS) {
                topology.applyPerformance(topology.getLink(l).orElseThrow().nodeIdA(),
                        perf(l, QKDL_STATUS_ACTIVE, SKR_BPS, 0.01));
            }
        }

        /** Waits until this instance leads and has fed every link's capacity to admission. */
        public void leaderReady() throws InterruptedException {
            eventually(() -> services.leaderRun().map(r -> LANES.stream()
                    .allMatch(l -> r.admission().admissibleBps(l) == ADMISSIBLE)).orElse(false));
        }

        void stop() {
            services.deactivate();
            if (kms != null) {
                kms.close();
            }
            remoteKms.close();
            scheduler.shutdownNow();
            topology.close();
            StoreTestAccess.deactivate(store);
        }
    }

    /** {@code count} instances on the square topology, activated; the first one leads. */
    public static KeyServiceCluster start(int count) throws Exception {
        return start(count, -1);
    }

    /**
     * As {@link #start(int)}, with link performance reported only to the instance of index
     * {@code reporting} (every instance when negative), as when all agents connect there.
     */
    static KeyServiceCluster start(int count, int reporting) throws Exception {
        return start(count, reporting, -1);
    }

    /**
     * As {@link #start(int, int)}, with the key managers connected only to the instance of index
     * {@code keyManagersAt} (every instance when negative).
     */
    static KeyServiceCluster start(int count, int reporting, int keyManagersAt) throws Exception {
        KeyServiceCluster c = new KeyServiceCluster();
        try {
            for (int n = 1; n <= count; n++) {
                c.instances.add(c.new Instance("instance-" + n, keyManagersAt < 0 || keyManagersAt == n - 1));
            }
            QkdTopologyManager t = c.instances.get(0).topology;
            t.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE), linkEnd(AC, A, C, QKDL_STATUS_ACTIVE)));
            t.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE), linkEnd(BD, B, D, QKDL_STATUS_ACTIVE)));
            t.applyInventory(node(C, linkEnd(AC, C, A, QKDL_STATUS_ACTIVE), linkEnd(CD, C, D, QKDL_STATUS_ACTIVE)));
            t.applyInventory(node(D, linkEnd(BD, D, B, QKDL_STATUS_ACTIVE), linkEnd(CD, D, C, QKDL_STATUS_ACTIVE)));
            for (int n = 0; n < count; n++) {
                if (reporting < 0 || reporting == n) {
                    c.instances.get(n).reportPerformance();
                }
                c.instances.get(n).services.activate();
            }
            c.instances.get(0).leaderReady();
            return c;
        } catch (Exception | Error e) {
            c.close();
            throw e;
        }
    }

    public Instance instance(int index) {
        return instances.get(index);
    }

    List<Instance> instances() {
        return instances;
    }

    @Override
    public void close() {
        instances.forEach(Instance::stop);
        messaging.close();
    }

    static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** A RESTORATION service from sae-alice on A to sae-bob on D. */
    public static KeyServiceSpec spec(long bps) {
        return KeyServiceSpec.newBuilder().setMasterSaeId("sae-alice").setMasterQkdnId(A)
                .setSlaveSaeId("sae-bob").setSlaveQkdnId(D)
                .setQos(AppQos.newBuilder().setMinBandwidthBps(bps).setPriority(1))
                .setProtection(Protection.PROTECTION_RESTORATION).build();
    }
}

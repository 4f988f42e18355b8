package org.qkdnf.bench.nc;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.MultiThreadIoEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.epoll.Epoll;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollIoHandler;
import io.grpc.netty.shaded.io.netty.channel.epoll.EpollSocketChannel;
import io.grpc.netty.shaded.io.netty.channel.nio.NioIoHandler;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import org.qkdnf.bench.sq.BenchPki;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.southbound.v1.LinkPerformance;

/**
 * The system under test of the Nc benchmarks, all real and in this JVM: the stock
 * {@link StandaloneController} (mTLS on 127.0.0.1, MVStore stores in a temporary data directory on
 * disk), one real {@link KmsAgent} per node of a {@link RingTopology} (its own certificate, its
 * MVStore stores, connected to the controller over Sk with mTLS), and an Nc client channel with a
 * controller-role certificate. The quantum layer is fed through the controller's topology admin
 * service, exactly as the Sq server applies an agent's messages: every node's inventory, then one
 * performance entry per link end with {@code skrBps}, so every direction of every link admits
 * {@code 0.9 × skrBps / 2}. No key flows (the benchmarks measure routing, admission and installs).
 * With {@link Kms#ACKING} the key managers are {@link AckingKeyManager}s instead (same Sk over mTLS,
 * nothing executed), to separate the controller's cost from the key managers'.
 *
 * <p>The Nc client has its own event loop ({@value #NC_CLIENT_LOOP}, one thread: a channel's one
 * connection is served by one loop anyway), as an operator's tool in its own process would, so the
 * CPU split by thread group tells the client's transport work from the controller's and the
 * kms-agents' (which share gRPC's default loops); its calls and callbacks are gRPC's defaults.
 *
 * <p>Threads: built and closed by one thread; the parts are thread-safe.
 */
final class NcBed implements AutoCloseable {

    final RingTopology ring;
    final StandaloneController controller;
    final List<KmsAgent> kms = new ArrayList<>();
    final List<AckingKeyManager> acking = new ArrayList<>();
    final ManagedChannel nc;
    final KeyServiceServiceGrpc.KeyServiceServiceStub stub;
    /** Thread name prefix of the Nc client's event loop. */
    static final String NC_CLIENT_LOOP = "nc-client-loop";
    private final EventLoopGroup ncLoop = Epoll.isAvailable()
            ? new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(NC_CLIENT_LOOP, true), EpollIoHandler.newFactory())
            : new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory(NC_CLIENT_LOOP, true), NioIoHandler.newFactory());
    private final Map<String, Set<String>> routeIds = new HashMap<>();
    private final BenchPki pki;
    private final Path dir;

    /** Which key managers the bed runs: real kms-agents, or {@link AckingKeyManager}s. */
    enum Kms { REAL, ACKING }

    NcBed(int nodes, int linksPerNode, double skrBps, Kms kind) throws Exception {
        ring = new RingTopology(nodes, linksPerNode);
        pki = BenchPki.create();
        dir = Files.createTempDirectory("qkdnf-bench-nc");
        StandaloneController c = null;
        ManagedChannel ch = null;
        try {
            c = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1").sqPort(0)
                    .tls(pki.controller()).dataDir(dir.resolve("controller")).build());
            long measuredAtMicros = System.currentTimeMillis() * 1000;
            for (int i = 0; i < nodes; i++) {
                c.topologyAdminService().applyInventory(ring.inventory(i));
            }
            for (int i = 0; i < nodes; i++) {
                for (String link : ring.linkIdsOf(i)) {
                    LinkPerformance p = RingTopology.performance(link, measuredAtMicros, 1_000_000L).toBuilder()
                            .setSkrBps(skrBps).setEskrBps(skrBps).build();
                    c.topologyAdminService().applyPerformance(ring.nodeId(i), p);
                }
            }
            for (int i = 0; i < nodes && kind == Kms.ACKING; i++) {
                acking.add(new AckingKeyManager(ring.nodeId(i), c.sqPort(), pki.issue(ring.nodeId(i), Role.KMS)));
            }
            for (int i = 0; i < nodes && kind == Kms.REAL; i++) {
                String id = ring.nodeId(i);
                KmsAgent k = KmsAgent.start(new KmsAgentConfig(id, "kme-" + i, dir.resolve("kms-" + i),
                        pki.issue(id, Role.KMS), any(), any(), any(), 1 << 20));
                kms.add(k);
                k.connectController("127.0.0.1:" + c.sqPort(), Duration.ofSeconds(5));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            for (int i = 0; i < nodes; i++) {
                String id = ring.nodeId(i);
                while (!c.keyManagementService().getKmNode(id).map(KmNode::getConnected).orElse(false)) {
                    if (System.nanoTime() > deadline) {
                        throw new IllegalStateException("key manager of node " + i + " did not connect over Sk in 30 s");
                    }
                    Thread.sleep(10);
                }
            }
            ch = NettyChannelBuilder.forAddress("127.0.0.1", c.sqPort(),
                    GrpcTls.channelCredentials(pki.issue("bench-nc-client", Role.CONTROLLER)))
                    .eventLoopGroup(ncLoop)
                    .channelType(Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class)
                    .build();
        } catch (Exception | Error e) {
            controller = c;
            nc = ch;
            stub = null;
            close();
            throw e;
        }
        controller = c;
        nc = ch;
        stub = KeyServiceServiceGrpc.newStub(ch);
    }

    /**
     * Route ids installed in the key manager of node {@code qkdnId} (read from the agent itself);
     * with acking key managers, the routes the controller holds INSTALLED through that node.
     */
    Set<String> routeIdsAt(String qkdnId) {
        return routeIds.computeIfAbsent(qkdnId, id -> {
            Set<String> out = new HashSet<>();
            for (KmsAgent k : kms) {
                if (k.qkdnId().equals(id)) {
                    k.services().services().forEach(d -> out.add(d.serviceId().toString()));
                }
            }
            if (kms.isEmpty()) {
                for (KeyRouteEntry e : controller.keyManagementService().getKeyRoutes()) {
                    if (e.getState() == KeyRouteState.KEY_ROUTE_STATE_INSTALLED && e.getRoute().getRouteQkdnIdsList().contains(id)) {
                        out.add(e.getRoute().getServiceId());
                    }
                }
            }
            return out;
        });
    }

    /**
     * Messages carrying commands the controller sent to key managers so far (a batch counts one):
     * whether concurrent setups reach a key manager together or one by one.
     */
    long skCommandMessages() {
        return ((KeyManagementManager) controller.keyManagementService()).commandMessagesSent();
    }

    /** Syncs of the real kms-agents' service key stores so far (0 with acking key managers). */
    long kmsStoreSyncs() {
        long n = 0;
        for (KmsAgent k : kms) {
            n += k.services().storeSyncs();
        }
        return n;
    }

    /** Forgets what {@link #routeIdsAt} read (after routes changed). */
    void rereadRoutes() {
        routeIds.clear();
    }

    private static InetSocketAddress any() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    @Override
    public void close() throws IOException {
        if (nc != null) {
            nc.shutdownNow();
        }
        ncLoop.shutdownGracefully(0, 1, TimeUnit.SECONDS);
        for (KmsAgent k : kms) {
            k.close();
        }
        for (AckingKeyManager k : acking) {
            k.close();
        }
        if (controller != null) {
            controller.close();
        }
        pki.close();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}

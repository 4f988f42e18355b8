package org.qkdnf.bench.heap;

import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;

import org.openjdk.jol.info.GraphLayout;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.QkdNode;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code heap-scale}: loads a network into the controller core (a {@link QkdTopologyManager} over
 * the in-memory {@link SimpleQkdTopologyStore}, through the admin service exactly as the Sq server
 * calls it) and reports the heap it retains. Every node sends its inventory and then one
 * performance entry per link end, so every link holds both end reports and live figures. Messages
 * go through a serialise/parse round trip first, so the controller holds what it would hold after
 * receiving them from gRPC.
 *
 * <p>Threads: all on the caller's thread (the manager's event thread stays idle: no listener).
 */
@Command(name = "heap-scale", mixinStandardHelpOptions = true,
        description = "Retained heap of the controller core holding N nodes and their links.")
public final class HeapScaleCommand implements Callable<Integer> {

    @Option(names = "--nodes", defaultValue = "10000", description = "Nodes. Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--links-per-node", defaultValue = "6",
            description = "Links per node (even); links = nodes * this / 2. Default: ${DEFAULT-VALUE}.")
    int linksPerNode;

    @Option(names = "--no-jol",
            description = "Skip walking the node and link snapshots with JOL (an exact object-graph size; slow for huge graphs).")
    boolean noJol;

    @Override
    public Integer call() throws Exception {
        RingTopology topology = new RingTopology(nodes, linksPerNode);
        HeapProbe heap = new HeapProbe();
        long before = heap.usedAfterGc();
        long start = System.nanoTime();
        QkdTopologyManager manager = new QkdTopologyManager(new SimpleQkdTopologyStore());
        long measuredAtMicros = System.currentTimeMillis() * 1000;
        for (int i = 0; i < nodes; i++) {
            manager.applyInventory(QkdNode.parseFrom(topology.inventory(i).toByteArray()));
        }
        for (int i = 0; i < nodes; i++) {
            String reporter = topology.nodeId(i);
            for (String link : topology.linkIdsOf(i)) {
                LinkPerformance p = RingTopology.performance(link, measuredAtMicros, 1_000_000L);
                manager.applyPerformance(reporter, LinkPerformance.parseFrom(p.toByteArray()));
            }
        }
        long loadMillis = (System.nanoTime() - start) / 1_000_000;
        long after = heap.usedAfterGc();
        Collection<QkdNodeInfo> nodeSnapshot = manager.getNodes();
        Collection<QkdLinkInfo> linkSnapshot = manager.getLinks();
        long complete = linkSnapshot.stream().filter(l -> l.reportCount() == 2 && l.hasPerformance()).count();
        if (nodeSnapshot.size() != nodes || complete != topology.linkCount()) {
            throw new IllegalStateException("loaded " + nodeSnapshot.size() + " nodes and " + complete
                    + " complete links, expected " + nodes + " and " + topology.linkCount());
        }
        long retained = after - before;
        System.out.printf(Locale.ROOT, "loaded %,d nodes and %,d links (both ends reported, with performance) in %,d ms%n",
                nodes, topology.linkCount(), loadMillis);
        System.out.printf(Locale.ROOT, "used heap after GC: before %.1f MiB, after %.1f MiB, retained %.1f MiB"
                + " (%,d bytes per link incl. its share of nodes)%n",
                mib(before), mib(after), mib(retained), retained / topology.linkCount());
        if (!noJol) {
            long graph = GraphLayout.parseInstance(List.copyOf(nodeSnapshot), List.copyOf(linkSnapshot)).totalSize();
            System.out.printf(Locale.ROOT, "JOL object graph of all node and link snapshots (without the store's maps):"
                    + " %.1f MiB%n", mib(graph));
        }
        java.lang.ref.Reference.reachabilityFence(manager);
        manager.close();
        return 0;
    }

    private static double mib(long bytes) {
        return bytes / (1024.0 * 1024.0);
    }
}

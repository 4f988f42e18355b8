package org.qkdnf.bench.jmh;

import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.proto.southbound.v1.LinkPerformance;

/**
 * {@code QkdTopologyManager.applyPerformance} alone (entries already parsed and validated, no
 * listener), from two threads at once (the machine's cores), with reporters picked at random so
 * that each update touches a link that is probably not in cache: how the cost of the topology
 * update grows with the number of links, which the Sq profile shows as the controller's largest
 * own slice. One op = one entry; time per op in ns.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@Threads(2)
@State(Scope.Benchmark)
public class TopologyUpdateBenchmark {

    /** Nodes; links = nodes * 8 / 2. */
    @Param({"250", "1000", "10000"})
    public int nodes;

    private RingTopology topology;
    private QkdTopologyManager manager;
    /** Per node, one pre-built entry per link of the node. */
    private LinkPerformance[][] entries;

    @Setup(Level.Trial)
    public void load() {
        topology = new RingTopology(nodes, 8);
        manager = new QkdTopologyManager(new SimpleQkdTopologyStore());
        long now = System.currentTimeMillis() * 1000;
        entries = new LinkPerformance[nodes][];
        for (int i = 0; i < nodes; i++) {
            manager.applyInventory(topology.inventory(i));
            List<String> links = topology.linkIdsOf(i);
            entries[i] = new LinkPerformance[links.size()];
            for (int j = 0; j < links.size(); j++) {
                // A fresh parse of each entry, as the Sq server would hold it (ids not shared with the store).
                try {
                    entries[i][j] = LinkPerformance.parseFrom(
                            RingTopology.performance(links.get(j), now, 1000).toByteArray());
                } catch (com.google.protobuf.InvalidProtocolBufferException e) {
                    throw new IllegalStateException(e);
                }
            }
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        manager.close();
    }

    @Benchmark
    public Object applyOneEntry() {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int node = random.nextInt(nodes);
        LinkPerformance[] mine = entries[node];
        return manager.applyPerformance(topology.nodeId(node), mine[random.nextInt(mine.length)]);
    }
}

package org.qkdnf.bench.jmh;

import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

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
import org.openjdk.jmh.annotations.Warmup;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.controller.sq.SqValidator;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.PerformanceReport;

/**
 * The controller's per-report work on the Sq hot path without the network: parse a
 * {@code ConnectRequest} carrying one {@code PerformanceReport}, validate it, and apply each entry
 * to the topology manager (which posts a {@code LINK_PERFORMANCE} event to its dispatch thread when
 * a listener is registered). One op = one report of {@code linksPerNode} updates; divide by it for
 * the cost per update. Splits what the end-to-end {@code sq-load} figure spends outside gRPC/TLS.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xms2g", "-Xmx2g"})
@State(Scope.Benchmark)
public class PerformanceIngestBenchmark {

    @Param({"2"})
    public int linksPerNode;

    /** Whether a topology listener is registered (without one the manager skips event dispatch). */
    @Param({"true", "false"})
    public boolean listener;

    private RingTopology topology;
    private QkdTopologyManager manager;
    private final LongAdder events = new LongAdder();
    private byte[][] wire;
    private int next;

    @Setup(Level.Trial)
    public void load() {
        topology = new RingTopology(1000, linksPerNode);
        manager = new QkdTopologyManager(new SimpleQkdTopologyStore());
        for (int i = 0; i < topology.nodeCount(); i++) {
            manager.applyInventory(topology.inventory(i));
        }
        if (listener) {
            manager.addListener(e -> events.increment());
        }
        long now = System.currentTimeMillis() * 1000;
        wire = new byte[topology.nodeCount()][];
        for (int i = 0; i < topology.nodeCount(); i++) {
            PerformanceReport.Builder r = PerformanceReport.newBuilder();
            for (String link : topology.linkIdsOf(i)) {
                r.addLinks(RingTopology.performance(link, now, 1000));
            }
            wire[i] = ConnectRequest.newBuilder().setSeq(3).setPerformanceReport(r).build().toByteArray();
        }
    }

    @TearDown(Level.Trial)
    public void close() {
        manager.close();
    }

    /** Parse, validate and apply one report (what AgentSession does per message). */
    @Benchmark
    public int parseValidateApply() throws Exception {
        int node = next;
        next = node + 1 == wire.length ? 0 : node + 1;
        ConnectRequest request = ConnectRequest.parseFrom(wire[node]);
        PerformanceReport report = request.getPerformanceReport();
        SqValidator.performanceReport(report);
        String reporter = topology.nodeId(node);
        List<org.qkdnf.proto.southbound.v1.LinkPerformance> links = report.getLinksList();
        for (int i = 0; i < links.size(); i++) {
            manager.applyPerformance(reporter, links.get(i));
        }
        return links.size();
    }

    /** Parse only, for comparison. */
    @Benchmark
    public ConnectRequest parse() throws Exception {
        int node = next;
        next = node + 1 == wire.length ? 0 : node + 1;
        return ConnectRequest.parseFrom(wire[node]);
    }
}

package org.qkdnf.bench.path;

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
import org.openjdk.jmh.annotations.Warmup;
import org.qkdnf.controller.path.CostFunction;
import org.qkdnf.controller.path.PathEngine;
import org.qkdnf.controller.path.PathRequest;

/**
 * Path computation against two references on the same generated QKD-like graphs (see
 * {@link QkdTopology}), the same edge costs and the same far-apart source/destination pairs
 * (taken round-robin, one query per op):
 *
 * <ul>
 *   <li>k = 4 shortest paths: ours ({@code PathEngine.kShortestPaths}, with the request's rate and
 *       hop limit), JGraphT 1.5.2 {@code YenKShortestPath}, ONOS 2.7 {@code KShortestPathsSearch};</li>
 *   <li>disjoint pair: ours node-disjoint and link-disjoint, JGraphT
 *       {@code SuurballeKDisjointShortestPaths} (k = 2, link-disjoint), ONOS
 *       {@code SuurballeGraphSearch}.</li>
 * </ul>
 *
 * {@code Mode.SampleTime}: read p0.50 of each. {@link PathAgreementMain} checks the costs agree.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xms1g", "-Xmx1g"})
@State(Scope.Benchmark)
public class PathBenchmark {
    /** Nodes generated (the largest component, slightly smaller, is kept). */
    @Param({"100", "1000", "5000"})
    public int nodes;

    static final long SEED = 20261125L;
    static final int PAIRS = 16;

    private QkdTopology topo;
    private PathEngine engine;
    private References refs;
    private PathRequest[] requests;
    private int cursor;

    @Setup(Level.Trial)
    public void setUp() {
        topo = new QkdTopology(nodes, SEED, PAIRS);
        engine = new PathEngine(topo.graph, CostFunction.DEFAULT);
        refs = new References(topo);
        requests = new PathRequest[topo.pairs.length];
        for (int i = 0; i < requests.length; i++) {
            requests[i] = topo.request(i);
        }
    }

    private int next() {
        int i = cursor;
        cursor = (i + 1) % requests.length;
        return i;
    }

    @Benchmark
    public Object oursK4() {
        return engine.kShortestPaths(requests[next()], 4);
    }

    @Benchmark
    public Object jgraphtK4() {
        int[] p = topo.pairs[next()];
        return refs.jgraphtK(p[0], p[1], 4);
    }

    @Benchmark
    public Object onosK4() {
        int[] p = topo.pairs[next()];
        return refs.onosK(p[0], p[1], 4);
    }

    @Benchmark
    public Object oursNodeDisjointPair() {
        return engine.nodeDisjointPair(requests[next()]);
    }

    @Benchmark
    public Object oursLinkDisjointPair() {
        return engine.linkDisjointPair(requests[next()]);
    }

    @Benchmark
    public Object jgraphtDisjointPair() {
        int[] p = topo.pairs[next()];
        return refs.jgraphtPair(p[0], p[1]);
    }

    @Benchmark
    public Object onosDisjointPair() {
        int[] p = topo.pairs[next()];
        return refs.onosPair(p[0], p[1]);
    }
}

package org.qkdnf.controller.path;

import java.util.List;
import java.util.Optional;

/**
 * Path computation over one {@link PathGraph} snapshot: constrained shortest path, k shortest
 * simple paths (Yen), a disjoint pair of minimum total cost (Suurballe, node splitting) and a
 * multi-path rate split (min-cost max-flow). Edge costs come from the {@link CostFunction} for
 * the request's rate; edges that cannot carry the rate are excluded from single-path answers.
 *
 * <p>Deterministic: the graph numbering is canonical (independent of insertion order) and every
 * tie is broken by a fixed rule (see {@link ShortestPathSearch} and {@link Path#ORDER}), so the
 * same request on the same graph always gets the same answer.
 *
 * <p>An engine holds mutable search workspaces sized for its graph: use one engine per thread;
 * the graph itself is immutable and shared. Build a new graph and engine per topology snapshot.
 */
public final class PathEngine {
    /** Default number of paths a split may use. */
    public static final int DEFAULT_MAX_SPLIT_PATHS = 8;

    private final PathGraph graph;
    private final CostFunction costFunction;
    private final ShortestPathSearch search;
    /** Made on first use: most requests want one path, and its workspaces are the size of the graph. */
    private DisjointPairSearch disjoint;

    public PathEngine(PathGraph graph, CostFunction costFunction) {
        this.graph = graph;
        this.costFunction = costFunction;
        this.search = new ShortestPathSearch(graph);
    }

    public PathGraph graph() {
        return graph;
    }

    /** Cheapest path honouring every constraint of the request, if any. */
    public Optional<Path> shortestPath(PathRequest request) {
        List<Path> paths = kShortestPaths(request, 1);
        return paths.isEmpty() ? Optional.empty() : Optional.of(paths.get(0));
    }

    /**
     * Up to k cheapest simple paths honouring the constraints, cheapest first (ties by
     * {@link Path#ORDER}). Exact without waypoints; with waypoints each path is built from greedy
     * segments (see {@link ShortestPathSearch}).
     */
    public List<Path> kShortestPaths(PathRequest request, int k) {
        if (k < 1) {
            throw new IllegalArgumentException("k must be >= 1");
        }
        Resolved r = resolve(request, request.requestedRate());
        return YenKShortestPaths.search(search, r.source, r.target, r.via, request.maxHops(), k);
    }

    /**
     * Node-disjoint (hence also link-disjoint) pair of minimum total cost for 1+1, or empty if the
     * network has no such pair. Honours the rate and the nodes to avoid; not hops or waypoints.
     */
    public Optional<DisjointPair> nodeDisjointPair(PathRequest request) {
        Resolved r = resolve(request, request.requestedRate());
        return Optional.ofNullable(disjoint().search(r.source, r.target, true));
    }

    /** Link-disjoint pair of minimum total cost (the two paths may share nodes). */
    public Optional<DisjointPair> linkDisjointPair(PathRequest request) {
        Resolved r = resolve(request, request.requestedRate());
        return Optional.ofNullable(disjoint().search(r.source, r.target, false));
    }

    /**
     * Splits the requested rate over at most maxPaths paths (min-cost max-flow on available rates,
     * capped at the request); honours the nodes to avoid. Use when {@link #shortestPath} finds no
     * single path for the rate.
     */
    public RateSplit split(PathRequest request, int maxPaths) {
        if (maxPaths < 1) {
            throw new IllegalArgumentException("maxPaths must be >= 1");
        }
        Resolved r = resolve(request, 0.0);
        long rate = (long) Math.ceil(request.requestedRate());
        return MaxFlowSplitter.split(graph, search.costs(), r.source, r.target, rate, maxPaths);
    }

    private DisjointPairSearch disjoint() {
        if (disjoint == null) {
            disjoint = new DisjointPairSearch(graph, search);
        }
        return disjoint;
    }

    private Resolved resolve(PathRequest request, double rateForCosts) {
        int s = index(request.source());
        int t = index(request.target());
        int[] via = new int[request.via().size()];
        for (int i = 0; i < via.length; i++) {
            via[i] = index(request.via().get(i));
        }
        double[] costs = costFunction.edgeCosts(graph, rateForCosts);
        for (String a : request.avoid()) {
            int v = graph.nodeIndex(a);
            if (v < 0) {
                continue;
            }
            for (int e = graph.outStart(v); e < graph.outStart(v + 1); e++) {
                costs[e] = Double.POSITIVE_INFINITY;
            }
            int[] inStart = graph.inStartArray();
            int[] inEdges = graph.inEdgesArray();
            for (int i = inStart[v]; i < inStart[v + 1]; i++) {
                costs[inEdges[i]] = Double.POSITIVE_INFINITY;
            }
        }
        search.begin(costs);
        return new Resolved(s, t, via);
    }

    private int index(String id) {
        int v = graph.nodeIndex(id);
        if (v < 0) {
            throw new IllegalArgumentException("unknown node " + id);
        }
        return v;
    }

    private static final class Resolved {
        final int source;
        final int target;
        final int[] via;

        Resolved(int source, int target, int[] via) {
            this.source = source;
            this.target = target;
            this.via = via;
        }
    }
}

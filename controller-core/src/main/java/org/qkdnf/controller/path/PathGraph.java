package org.qkdnf.controller.path;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * Immutable, compact snapshot of the key-relay graph: built once per topology snapshot, then
 * shared read-only by any number of {@link PathEngine}s (one per thread).
 *
 * <p>Nodes are numbered in the order of their ids; directed edges are numbered in the order
 * (source index, target index, link id), so the out-edges of node {@code u} are the contiguous
 * range {@code [outStart(u), outStart(u + 1))} (CSR adjacency) and the numbering, hence every
 * search result, does not depend on the order in which nodes and links were added. A QKD
 * key-relay link is two directed edges with the same link id. In-edges are kept as a second CSR
 * index (reverse searches, residual graphs).
 *
 * <p>Edge attributes: available key rate in bit/s (admissible SKR minus what is reserved, per
 * direction — if both directions draw on one shared pool, give each direction its share), pool
 * level in bits, latency in ms, link id.
 */
public final class PathGraph {
    private final String[] nodeIds;
    private final Map<String, Integer> nodeIndex;
    private final int[] outStart;
    private final int[] from;
    private final int[] to;
    private final int[] inStart;
    private final int[] inEdges;
    private final double[] availableRate;
    private final double[] poolBits;
    private final double[] latencyMs;
    private final String[] linkIds;

    private PathGraph(String[] nodeIds, List<EdgeSpec> edges) {
        this.nodeIds = nodeIds;
        this.nodeIndex = new HashMap<>(nodeIds.length * 2);
        for (int i = 0; i < nodeIds.length; i++) {
            nodeIndex.put(nodeIds[i], i);
        }
        int n = nodeIds.length;
        int m = edges.size();
        EdgeSpec[] sorted = edges.toArray(new EdgeSpec[0]);
        int[] f = new int[m];
        int[] t = new int[m];
        for (int i = 0; i < m; i++) {
            f[i] = nodeIndex.get(sorted[i].from);
            t[i] = nodeIndex.get(sorted[i].to);
        }
        Integer[] order = new Integer[m];
        for (int i = 0; i < m; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int c = Integer.compare(f[a], f[b]);
            if (c != 0) {
                return c;
            }
            c = Integer.compare(t[a], t[b]);
            return c != 0 ? c : sorted[a].linkId.compareTo(sorted[b].linkId);
        });
        from = new int[m];
        to = new int[m];
        availableRate = new double[m];
        poolBits = new double[m];
        latencyMs = new double[m];
        linkIds = new String[m];
        outStart = new int[n + 1];
        int[] inCount = new int[n + 1];
        for (int e = 0; e < m; e++) {
            EdgeSpec s = sorted[order[e]];
            from[e] = f[order[e]];
            to[e] = t[order[e]];
            if (e > 0 && from[e] == from[e - 1] && to[e] == to[e - 1] && s.linkId.equals(linkIds[e - 1])) {
                throw new IllegalArgumentException("duplicate edge " + s.linkId + " " + s.from + "->" + s.to);
            }
            availableRate[e] = s.rate;
            poolBits[e] = s.pool;
            latencyMs[e] = s.latency;
            linkIds[e] = s.linkId;
            outStart[from[e] + 1]++;
            inCount[to[e] + 1]++;
        }
        for (int i = 0; i < n; i++) {
            outStart[i + 1] += outStart[i];
            inCount[i + 1] += inCount[i];
        }
        inStart = inCount.clone();
        inEdges = new int[m];
        int[] fill = Arrays.copyOf(inCount, n);
        for (int e = 0; e < m; e++) {
            inEdges[fill[to[e]]++] = e;
        }
    }

    /** Same structure, other edge attributes (see {@link #withEdgeAttributes}). */
    private PathGraph(PathGraph structure, double[] availableRate, double[] poolBits) {
        this.nodeIds = structure.nodeIds;
        this.nodeIndex = structure.nodeIndex;
        this.outStart = structure.outStart;
        this.from = structure.from;
        this.to = structure.to;
        this.inStart = structure.inStart;
        this.inEdges = structure.inEdges;
        this.latencyMs = structure.latencyMs;
        this.linkIds = structure.linkIds;
        this.availableRate = availableRate;
        this.poolBits = poolBits;
    }

    public static Builder builder() {
        return new Builder();
    }

    /**
     * This graph's nodes and edges (same numbering, shared) with other available rates and pool
     * levels, indexed by edge: for a caller whose rates change between requests (the key-service
     * planner, after every reservation) while the topology does not, so it need not rebuild and
     * re-sort the graph each time. An edge with rate 0 carries nothing ({@link CostFunction}).
     * The arrays are copied.
     */
    public PathGraph withEdgeAttributes(double[] availableRate, double[] poolBits) {
        if (availableRate.length != from.length || poolBits.length != from.length) {
            throw new IllegalArgumentException("one rate and one pool level per edge: " + from.length + " edges");
        }
        for (int e = 0; e < from.length; e++) {
            if (!(availableRate[e] >= 0) || Double.isNaN(poolBits[e])) {
                throw new IllegalArgumentException("bad attributes on link " + linkIds[e]);
            }
        }
        return new PathGraph(this, availableRate.clone(), poolBits.clone());
    }

    public int nodeCount() {
        return nodeIds.length;
    }

    public int edgeCount() {
        return from.length;
    }

    public String nodeId(int node) {
        return nodeIds[node];
    }

    /** Index of a node id, or -1. */
    public int nodeIndex(String id) {
        Integer i = nodeIndex.get(id);
        return i == null ? -1 : i;
    }

    public int outStart(int node) {
        return outStart[node];
    }

    public int from(int edge) {
        return from[edge];
    }

    public int to(int edge) {
        return to[edge];
    }

    public double availableRate(int edge) {
        return availableRate[edge];
    }

    public double poolBits(int edge) {
        return poolBits[edge];
    }

    public double latencyMs(int edge) {
        return latencyMs[edge];
    }

    public String linkId(int edge) {
        return linkIds[edge];
    }

    // Package-private raw arrays for the search loops.
    int[] outStartArray() {
        return outStart;
    }

    int[] toArray() {
        return to;
    }

    int[] fromArray() {
        return from;
    }

    int[] inStartArray() {
        return inStart;
    }

    int[] inEdgesArray() {
        return inEdges;
    }

    private static final class EdgeSpec {
        final String linkId;
        final String from;
        final String to;
        final double rate;
        final double pool;
        final double latency;

        EdgeSpec(String linkId, String from, String to, double rate, double pool, double latency) {
            this.linkId = linkId;
            this.from = from;
            this.to = to;
            this.rate = rate;
            this.pool = pool;
            this.latency = latency;
        }
    }

    /** Collects nodes and edges in any order; {@link #build()} sorts them into the canonical numbering. */
    public static final class Builder {
        private final TreeSet<String> nodes = new TreeSet<>();
        private final List<EdgeSpec> edges = new ArrayList<>();

        private Builder() {
        }

        public Builder addNode(String id) {
            nodes.add(checkId(id));
            return this;
        }

        /** One directed edge {@code from -> to}. */
        public Builder addEdge(String linkId, String from, String to, double availableRateBps,
                               double poolBits, double latencyMs) {
            checkId(linkId);
            if (checkId(from).equals(checkId(to))) {
                throw new IllegalArgumentException("self loop on " + from);
            }
            if (!(availableRateBps >= 0) || Double.isNaN(poolBits) || Double.isNaN(latencyMs)) {
                throw new IllegalArgumentException("bad attributes on link " + linkId);
            }
            nodes.add(from);
            nodes.add(to);
            edges.add(new EdgeSpec(linkId, from, to, availableRateBps, poolBits, latencyMs));
            return this;
        }

        /** A key-relay link: the two directed edges {@code a -> b} and {@code b -> a}. */
        public Builder addLink(String linkId, String a, String b, double rateAtoB, double rateBtoA,
                               double poolBits, double latencyMs) {
            addEdge(linkId, a, b, rateAtoB, poolBits, latencyMs);
            return addEdge(linkId, b, a, rateBtoA, poolBits, latencyMs);
        }

        public PathGraph build() {
            return new PathGraph(nodes.toArray(new String[0]), edges);
        }

        private static String checkId(String id) {
            if (id == null || id.isEmpty()) {
                throw new IllegalArgumentException("empty id");
            }
            return id;
        }
    }
}

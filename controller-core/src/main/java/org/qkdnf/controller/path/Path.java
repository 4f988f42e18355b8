package org.qkdnf.controller.path;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;

/**
 * A simple path in a {@link PathGraph}: node indices, edge indices and its cost under the
 * request's {@link CostFunction}. Equality is by edge sequence. {@link #ORDER} is the total order
 * used for every tie: cost, then the node index sequence lexicographically, then the edge
 * sequence (parallel links).
 */
public final class Path {
    /** Cost, then lexicographic node sequence, then lexicographic edge sequence. */
    public static final Comparator<Path> ORDER = (a, b) -> {
        int c = Double.compare(a.cost, b.cost);
        if (c != 0) {
            return c;
        }
        c = Arrays.compare(a.nodes, b.nodes);
        return c != 0 ? c : Arrays.compare(a.edges, b.edges);
    };

    private final PathGraph graph;
    private final int[] nodes;
    private final int[] edges;
    private final double cost;

    Path(PathGraph graph, int[] edges, double[] edgeCosts) {
        this.graph = graph;
        this.edges = edges;
        this.nodes = new int[edges.length + 1];
        double c = 0;
        nodes[0] = graph.from(edges[0]);
        for (int i = 0; i < edges.length; i++) {
            nodes[i + 1] = graph.to(edges[i]);
            c += edgeCosts[edges[i]];
        }
        this.cost = c;
    }

    public double cost() {
        return cost;
    }

    public int hops() {
        return edges.length;
    }

    public int source() {
        return nodes[0];
    }

    public int target() {
        return nodes[nodes.length - 1];
    }

    /** Node indices, source first (a copy). */
    public int[] nodeIndices() {
        return nodes.clone();
    }

    /** Edge indices in path order (a copy). */
    public int[] edgeIndices() {
        return edges.clone();
    }

    int node(int i) {
        return nodes[i];
    }

    int edge(int i) {
        return edges[i];
    }

    int[] edgesRaw() {
        return edges;
    }

    public List<String> nodeIds() {
        List<String> ids = new ArrayList<>(nodes.length);
        for (int v : nodes) {
            ids.add(graph.nodeId(v));
        }
        return Collections.unmodifiableList(ids);
    }

    public List<String> linkIds() {
        List<String> ids = new ArrayList<>(edges.length);
        for (int e : edges) {
            ids.add(graph.linkId(e));
        }
        return Collections.unmodifiableList(ids);
    }

    /** Smallest available rate along the path (bit/s). */
    public double bottleneckRate() {
        double r = Double.POSITIVE_INFINITY;
        for (int e : edges) {
            r = Math.min(r, graph.availableRate(e));
        }
        return r;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Path && Arrays.equals(edges, ((Path) o).edges);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(edges);
    }

    @Override
    public String toString() {
        return nodeIds() + " cost=" + cost;
    }
}

package org.qkdnf.controller.path;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Splits a rate over several paths when no single path carries it: successive shortest
 * augmenting paths (min-cost flow) on the graph whose edge capacities are the available rates
 * (whole bit/s, so the flow is exact and terminates) and whose unit costs are the request's
 * {@link CostFunction} costs without the utilisation term.
 *
 * <p>Each round is a Dijkstra on the residual graph with reduced costs and Johnson potentials
 * ({@code pi += min(d, d(t))}, valid with early termination); it pushes the bottleneck, capped
 * at what is still missing, and stops when the request is met or t is cut off. The result is a
 * maximum flow capped at the request, of minimum cost for its value. It is decomposed into paths
 * by repeatedly following flow-carrying edges from s in canonical edge order (positive costs mean
 * a min-cost flow has no cycles). If that yields more than {@code maxPaths} paths, the
 * {@code maxPaths} carrying the most rate are kept (ties by {@link Path#ORDER}) and the total
 * falls short. Hop limits and waypoints do not apply to splits.
 */
final class MaxFlowSplitter {
    private static final double INF = Double.POSITIVE_INFINITY;

    private MaxFlowSplitter() {
    }

    static RateSplit split(PathGraph g, double[] unitCost, int s, int t, long request, int maxPaths) {
        int n = g.nodeCount();
        int m = g.edgeCount();
        int[] outStart = g.outStartArray();
        int[] to = g.toArray();
        int[] from = g.fromArray();
        int[] inStart = g.inStartArray();
        int[] inEdges = g.inEdgesArray();
        long[] cap = new long[m];
        for (int e = 0; e < m; e++) {
            cap[e] = unitCost[e] == INF ? 0 : (long) Math.floor(g.availableRate(e));
        }
        long[] flow = new long[m];
        double[] pi = new double[n];
        double[] dist = new double[n];
        int[] parent = new int[n];
        boolean[] closed = new boolean[n];
        IntMinHeap heap = new IntMinHeap(n);
        long remaining = request;
        while (remaining > 0) {
            Arrays.fill(dist, INF);
            Arrays.fill(closed, false);
            heap.clear();
            dist[s] = 0;
            heap.push(s, 0);
            boolean reached = false;
            while (!heap.isEmpty()) {
                int u = heap.pop();
                closed[u] = true;
                if (u == t) {
                    reached = true;
                    break;
                }
                double du = dist[u];
                for (int e = outStart[u], end = outStart[u + 1]; e < end; e++) {
                    int v = to[e];
                    if (cap[e] - flow[e] > 0 && !closed[v]) {
                        double nd = du + Math.max(0.0, unitCost[e] + pi[u] - pi[v]);
                        if (nd < dist[v]) {
                            dist[v] = nd;
                            parent[v] = e;
                            heap.push(v, nd);
                        }
                    }
                }
                for (int i = inStart[u], end = inStart[u + 1]; i < end; i++) {
                    int e = inEdges[i];
                    int v = from[e];
                    if (flow[e] > 0 && !closed[v]) {
                        double nd = du + Math.max(0.0, -unitCost[e] + pi[u] - pi[v]);
                        if (nd < dist[v]) {
                            dist[v] = nd;
                            parent[v] = -e - 1;
                            heap.push(v, nd);
                        }
                    }
                }
            }
            if (!reached) {
                break;
            }
            double dt = dist[t];
            for (int v = 0; v < n; v++) {
                pi[v] += closed[v] ? dist[v] : dt;
            }
            long push = remaining;
            for (int v = t; v != s; ) {
                int code = parent[v];
                if (code >= 0) {
                    push = Math.min(push, cap[code] - flow[code]);
                    v = from[code];
                } else {
                    int e = -code - 1;
                    push = Math.min(push, flow[e]);
                    v = to[e];
                }
            }
            for (int v = t; v != s; ) {
                int code = parent[v];
                if (code >= 0) {
                    flow[code] += push;
                    v = from[code];
                } else {
                    int e = -code - 1;
                    flow[e] -= push;
                    v = to[e];
                }
            }
            remaining -= push;
        }
        return new RateSplit(decompose(g, unitCost, flow, s, t, maxPaths), request);
    }

    private static List<RateSplit.Share> decompose(PathGraph g, double[] unitCost, long[] flow,
                                                   int s, int t, int maxPaths) {
        int[] outStart = g.outStartArray();
        int[] to = g.toArray();
        List<RateSplit.Share> shares = new ArrayList<>();
        int[] buf = new int[16];
        while (true) {
            int len = 0;
            int u = s;
            long rate = Long.MAX_VALUE;
            while (u != t) {
                int next = -1;
                for (int e = outStart[u], end = outStart[u + 1]; e < end; e++) {
                    if (flow[e] > 0) {
                        next = e;
                        break;
                    }
                }
                if (next < 0) {
                    break;
                }
                if (len == buf.length) {
                    buf = Arrays.copyOf(buf, len * 2);
                }
                if (len > g.edgeCount()) {
                    throw new IllegalStateException("flow has a cycle");
                }
                buf[len++] = next;
                rate = Math.min(rate, flow[next]);
                u = to[next];
            }
            if (u != t || len == 0) {
                break;
            }
            int[] edges = Arrays.copyOf(buf, len);
            for (int e : edges) {
                flow[e] -= rate;
            }
            shares.add(new RateSplit.Share(new Path(g, edges, unitCost), rate));
        }
        if (shares.size() > maxPaths) {
            shares.sort((a, b) -> {
                int c = Long.compare(b.rate(), a.rate());
                return c != 0 ? c : Path.ORDER.compare(a.path(), b.path());
            });
            shares = new ArrayList<>(shares.subList(0, maxPaths));
        }
        shares.sort((a, b) -> Path.ORDER.compare(a.path(), b.path()));
        return shares;
    }
}

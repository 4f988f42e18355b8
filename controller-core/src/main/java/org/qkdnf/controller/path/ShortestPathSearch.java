package org.qkdnf.controller.path;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * Workspace for single-source shortest-path searches on one {@link PathGraph}: Dijkstra / A* on a
 * binary heap over primitive arrays, an exact hop-limited search, and waypoint routing. Arrays
 * are allocated once and invalidated by stamps, so a query costs only what it visits. Not
 * thread-safe.
 *
 * <p><b>A*.</b> Point-to-point searches are A* with, as heuristic, the exact distance to the
 * target in the request's graph without any of Yen's blocks (one reverse Dijkstra per target and
 * request, cached). Blocking nodes or edges only lengthens distances, so the heuristic stays
 * admissible and consistent and A* returns the same optimal cost as Dijkstra; Yen's spur searches
 * then walk almost straight to the target instead of flooding the graph.
 *
 * <p><b>Hop limit.</b> If the cheapest path exceeds the limit, an exact layered Bellman-Ford
 * (cost of reaching each node in exactly h hops, h up to the limit) finds the cheapest path within
 * it. With strictly positive costs that path is simple.
 *
 * <p><b>Ties.</b> The heap pops equal keys by smaller node index; a node keeps the first
 * predecessor that reached it with its final cost; edges are scanned in the graph's canonical
 * order. The result is therefore a function of the graph and the request only.
 */
final class ShortestPathSearch {
    private static final double INF = Double.POSITIVE_INFINITY;

    private final PathGraph g;
    private final int n;
    private final int[] outStart;
    private final int[] to;
    private final int[] from;
    private final int[] inStart;
    private final int[] inEdges;
    private final IntMinHeap heap;
    private final double[] dist;
    private final int[] parent;
    private final int[] seen;
    private final int[] closed;
    private int stamp;
    private final int[] nodeBlock;
    private final int[] edgeBlock;
    private int blockStamp = 1;
    private final int[] segBlock;
    private int segStamp = 1;
    private double[] cost;
    private final Map<Integer, double[]> heuristics = new HashMap<>();

    ShortestPathSearch(PathGraph g) {
        this.g = g;
        this.n = g.nodeCount();
        this.outStart = g.outStartArray();
        this.to = g.toArray();
        this.from = g.fromArray();
        this.inStart = g.inStartArray();
        this.inEdges = g.inEdgesArray();
        this.heap = new IntMinHeap(n);
        this.dist = new double[n];
        this.parent = new int[n];
        this.seen = new int[n];
        this.closed = new int[n];
        this.nodeBlock = new int[n];
        this.edgeBlock = new int[g.edgeCount()];
        this.segBlock = new int[n];
    }

    /** Starts a request with these edge costs ({@code +infinity} = excluded). */
    void begin(double[] edgeCosts) {
        this.cost = edgeCosts;
        heuristics.clear();
        clearBlocks();
    }

    double[] costs() {
        return cost;
    }

    void clearBlocks() {
        blockStamp++;
    }

    void blockNode(int v) {
        nodeBlock[v] = blockStamp;
    }

    void blockEdge(int e) {
        edgeBlock[e] = blockStamp;
    }

    private int nextStamp() {
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(seen, 0);
            Arrays.fill(closed, 0);
            stamp = 1;
        }
        return stamp;
    }

    /** Cheapest path s to t by A* with {@link #heuristic}; honours blocks. */
    int[] shortest(int s, int t) {
        return astar(s, t, heuristic(t));
    }

    /**
     * Cheapest path s to t passing the waypoints in order, at most maxHops edges, avoiding blocked
     * nodes and edges; null if none. Waypoint segments are computed one after the other, each
     * avoiding the nodes already used, the later waypoints and the target (greedy: exact without
     * waypoints; with waypoints it may miss a cheaper or the only simple path).
     */
    int[] constrained(int s, int t, int[] via, int maxHops) {
        if (via.length == 0) {
            return segment(s, t, maxHops);
        }
        segStamp++;
        int[] result = new int[0];
        int cur = s;
        int used = 0;
        for (int j = 0; j <= via.length; j++) {
            int segTarget = j < via.length ? via[j] : t;
            for (int k = j + 1; k < via.length; k++) {
                segBlock[via[k]] = segStamp;
            }
            if (segTarget != t) {
                segBlock[t] = segStamp;
            }
            segBlock[segTarget] = 0;
            for (int k = j + 1; k < via.length; k++) {
                if (nodeBlock[via[k]] == blockStamp) {
                    return null;
                }
            }
            long budget = maxHops == PathRequest.UNLIMITED_HOPS
                    ? PathRequest.UNLIMITED_HOPS : (long) maxHops - used - (via.length - j);
            if (budget < 1) {
                return null;
            }
            int[] seg = segment(cur, segTarget, (int) budget);
            if (seg == null) {
                return null;
            }
            for (int e : seg) {
                segBlock[from[e]] = segStamp;
            }
            int old = result.length;
            result = Arrays.copyOf(result, old + seg.length);
            System.arraycopy(seg, 0, result, old, seg.length);
            used += seg.length;
            cur = segTarget;
        }
        segStamp++;
        return result;
    }

    private int[] segment(int s, int t, int maxHops) {
        int[] p = astar(s, t, heuristic(t));
        if (p == null || p.length <= maxHops) {
            return p;
        }
        return hopLimited(s, t, maxHops);
    }

    /** Exact distances to t over the request's non-excluded edges (cached per request and target). */
    double[] heuristic(int t) {
        double[] h = heuristics.get(t);
        if (h == null) {
            h = reverseDistances(t);
            heuristics.put(t, h);
        }
        return h;
    }

    /** Exact distances to t over non-excluded edges, ignoring blocks (a lower bound under any blocks). */
    private double[] reverseDistances(int t) {
        double[] h = new double[n];
        Arrays.fill(h, INF);
        int st = nextStamp();
        heap.clear();
        h[t] = 0;
        heap.push(t, 0);
        while (!heap.isEmpty()) {
            int v = heap.pop();
            closed[v] = st;
            double dv = h[v];
            for (int i = inStart[v], end = inStart[v + 1]; i < end; i++) {
                int e = inEdges[i];
                double c = cost[e];
                if (c == INF) {
                    continue;
                }
                int u = from[e];
                if (closed[u] == st) {
                    continue;
                }
                double nd = dv + c;
                if (nd < h[u]) {
                    h[u] = nd;
                    heap.push(u, nd);
                }
            }
        }
        return h;
    }

    private int[] astar(int s, int t, double[] h) {
        int st = nextStamp();
        heap.clear();
        if (h != null && h[s] == INF) {
            return null;
        }
        dist[s] = 0;
        seen[s] = st;
        parent[s] = -1;
        heap.push(s, h == null ? 0 : h[s]);
        final int bs = blockStamp;
        final int ss = segStamp;
        while (!heap.isEmpty()) {
            int u = heap.pop();
            closed[u] = st;
            if (u == t) {
                return trace(s, t);
            }
            double du = dist[u];
            for (int e = outStart[u], end = outStart[u + 1]; e < end; e++) {
                double c = cost[e];
                if (c == INF || edgeBlock[e] == bs) {
                    continue;
                }
                int v = to[e];
                if (closed[v] == st || nodeBlock[v] == bs || segBlock[v] == ss) {
                    continue;
                }
                double hv = h == null ? 0 : h[v];
                if (hv == INF) {
                    continue;
                }
                double nd = du + c;
                if (seen[v] != st) {
                    seen[v] = st;
                    dist[v] = nd;
                    parent[v] = e;
                    heap.push(v, nd + hv);
                } else if (nd < dist[v]) {
                    dist[v] = nd;
                    parent[v] = e;
                    heap.push(v, nd + hv);
                }
            }
        }
        return null;
    }

    private int[] trace(int s, int t) {
        int len = 0;
        for (int v = t; v != s; v = from[parent[v]]) {
            len++;
        }
        int[] edges = new int[len];
        for (int v = t; v != s; v = from[parent[v]]) {
            edges[--len] = parent[v];
        }
        return edges;
    }

    /** Exact cheapest path with at most maxHops edges (layered Bellman-Ford), honouring blocks. */
    private int[] hopLimited(int s, int t, int maxHops) {
        int hMax = Math.min(maxHops, n - 1);
        double[] d = new double[(hMax + 1) * n];
        int[] par = new int[(hMax + 1) * n];
        Arrays.fill(d, INF);
        d[s] = 0;
        final int bs = blockStamp;
        final int ss = segStamp;
        double best = INF;
        int bestH = -1;
        for (int hop = 1; hop <= hMax; hop++) {
            int prevBase = (hop - 1) * n;
            int base = hop * n;
            boolean any = false;
            for (int u = 0; u < n; u++) {
                double du = d[prevBase + u];
                if (du == INF || u == t) {
                    continue;
                }
                for (int e = outStart[u], end = outStart[u + 1]; e < end; e++) {
                    double c = cost[e];
                    if (c == INF || edgeBlock[e] == bs) {
                        continue;
                    }
                    int v = to[e];
                    if (v == s || nodeBlock[v] == bs || segBlock[v] == ss) {
                        continue;
                    }
                    double nd = du + c;
                    if (nd < d[base + v]) {
                        d[base + v] = nd;
                        par[base + v] = e;
                        any = true;
                    }
                }
            }
            if (d[base + t] < best) {
                best = d[base + t];
                bestH = hop;
            }
            if (!any) {
                break;
            }
        }
        if (bestH < 0) {
            return null;
        }
        int[] edges = new int[bestH];
        int v = t;
        for (int hop = bestH; hop >= 1; hop--) {
            int e = par[hop * n + v];
            edges[hop - 1] = e;
            v = from[e];
        }
        return edges;
    }

    PathGraph graph() {
        return g;
    }
}

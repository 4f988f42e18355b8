package org.qkdnf.controller.path;

import java.util.Arrays;

/**
 * Minimum-total-cost pair of node-disjoint (or link-disjoint) paths: Suurballe's algorithm, i.e.
 * Bhandari's residual-graph formulation run with Dijkstra on reduced costs.
 *
 * <ol>
 *   <li>One reverse Dijkstra from t gives the exact distance h(v) of every node to t; A* with h
 *       finds the cheapest path P1. The potential {@code pi(v) = -h(v)} makes every reduced cost
 *       {@code c(u,v) - h(u) + h(v)} non-negative and zero along P1, so the second search is a
 *       Dijkstra on reduced costs, which is A* towards t (goal-directed) for free. Nodes that
 *       cannot reach t at all (h infinite) are never entered.</li>
 *   <li>Node splitting, implicit: each node v is two states, v_in and v_out, joined by a zero-cost
 *       edge of capacity one; an edge u->v runs u_out -> v_in. In the residual graph the edges of
 *       P1, including the internal edges of its interior nodes, are reversed (reduced cost 0). For
 *       the link-disjoint variant v_in and v_out are joined both ways, i.e. not split.</li>
 *   <li>Dijkstra from s_out to t_in on the residual graph gives P2; P1 and P2 minus the edges P2
 *       walked backwards form two disjoint s-t paths of minimum total cost, read off by following
 *       the remaining edges from s in the graph's canonical edge order.</li>
 * </ol>
 *
 * A pair is returned whenever one exists (the method is exact), null otherwise. Hop limits and
 * waypoints are not applied to pairs.
 */
final class DisjointPairSearch {
    private static final double INF = Double.POSITIVE_INFINITY;
    private static final int INTERNAL = -1;

    private final PathGraph g;
    private final ShortestPathSearch sp;
    private final int n;
    private final int[] outStart;
    private final int[] to;
    private final int[] from;
    private final IntMinHeap heap;
    private final double[] dist;
    private final int[] parentState;
    private final int[] parentEdge;
    private final int[] seen;
    private final int[] closed;
    private int stamp;
    private double[] h;
    private final int[] p1In;
    private final int[] p1InStamp;
    private final int[] onP1Edge;
    private final int[] used;
    private int p1Stamp;

    DisjointPairSearch(PathGraph g, ShortestPathSearch sp) {
        this.g = g;
        this.sp = sp;
        this.n = g.nodeCount();
        this.outStart = g.outStartArray();
        this.to = g.toArray();
        this.from = g.fromArray();
        this.heap = new IntMinHeap(2 * n);
        this.dist = new double[2 * n];
        this.parentState = new int[2 * n];
        this.parentEdge = new int[2 * n];
        this.seen = new int[2 * n];
        this.closed = new int[2 * n];
        this.p1In = new int[n];
        this.p1InStamp = new int[n];
        this.onP1Edge = new int[g.edgeCount()];
        this.used = new int[g.edgeCount()];
    }

    DisjointPair search(int s, int t, boolean nodeDisjoint) {
        double[] cost = sp.costs();
        sp.clearBlocks();
        int[] p1 = sp.shortest(s, t);
        if (p1 == null) {
            return null;
        }
        h = sp.heuristic(t);
        p1Stamp++;
        for (int e : p1) {
            onP1Edge[e] = p1Stamp;
            p1In[to[e]] = e;
            p1InStamp[to[e]] = p1Stamp;
        }
        int[] p2 = secondSearch(s, t, cost, nodeDisjoint);
        if (p2 == null) {
            return null;
        }
        // Union of P1 and P2 minus the P1 edges P2 cancelled (encoded as -(e + 2)).
        for (int e : p1) {
            used[e] = p1Stamp;
        }
        for (int code : p2) {
            if (code >= 0) {
                used[code] = p1Stamp;
            } else {
                used[-code - 2] = 0;
            }
        }
        int[] a = follow(s, t);
        int[] b = follow(s, t);
        return new DisjointPair(new Path(g, a, cost), new Path(g, b, cost));
    }

    private int[] follow(int s, int t) {
        int[] buf = new int[16];
        int len = 0;
        int u = s;
        int guard = 0;
        while (u != t) {
            int next = -1;
            for (int e = outStart[u], end = outStart[u + 1]; e < end; e++) {
                if (used[e] == p1Stamp) {
                    next = e;
                    break;
                }
            }
            if (next < 0 || ++guard > g.edgeCount()) {
                throw new IllegalStateException("disjoint pair decomposition failed");
            }
            used[next] = 0;
            if (len == buf.length) {
                buf = Arrays.copyOf(buf, len * 2);
            }
            buf[len++] = next;
            u = to[next];
        }
        return Arrays.copyOf(buf, len);
    }

    /** Returns P2 as edge codes: e for a forward edge, -(e + 2) for a P1 edge walked backwards. */
    private int[] secondSearch(int s, int t, double[] cost, boolean nodeDisjoint) {
        if (++stamp == Integer.MAX_VALUE) {
            Arrays.fill(seen, 0);
            Arrays.fill(closed, 0);
            stamp = 1;
        }
        final int st = stamp;
        heap.clear();
        int start = 2 * s + 1;
        int goal = 2 * t;
        dist[start] = 0;
        seen[start] = st;
        parentState[start] = -1;
        heap.push(start, 0);
        while (!heap.isEmpty()) {
            int x = heap.pop();
            closed[x] = st;
            if (x == goal) {
                return trace(start, goal);
            }
            int v = x >> 1;
            double dx = dist[x];
            int back = p1InStamp[v] == p1Stamp ? p1In[v] : -1;
            boolean interiorP1 = v != s && v != t && back >= 0;
            if ((x & 1) == 0) {
                // v_in
                if (!interiorP1 || !nodeDisjoint) {
                    relax(x, 2 * v + 1, dx, INTERNAL, st);
                }
                if (back >= 0) {
                    int u = from[back];
                    double rc = Math.max(0.0, -cost[back] - h[v] + h[u]);
                    relax(x, 2 * u + 1, dx + rc, -back - 2, st);
                }
            } else {
                // v_out
                if (interiorP1 || !nodeDisjoint) {
                    relax(x, 2 * v, dx, INTERNAL, st);
                }
                for (int e = outStart[v], end = outStart[v + 1]; e < end; e++) {
                    double c = cost[e];
                    if (c == INF || onP1Edge[e] == p1Stamp) {
                        continue;
                    }
                    int w = to[e];
                    double hw = h[w];
                    if (hw == INF) {
                        continue;
                    }
                    relax(x, 2 * w, dx + Math.max(0.0, c - h[v] + hw), e, st);
                }
            }
        }
        return null;
    }

    private void relax(int x, int y, double nd, int edgeCode, int st) {
        if (closed[y] == st) {
            return;
        }
        if (seen[y] != st || nd < dist[y]) {
            seen[y] = st;
            dist[y] = nd;
            parentState[y] = x;
            parentEdge[y] = edgeCode;
            heap.push(y, nd);
        }
    }

    private int[] trace(int start, int goal) {
        int len = 0;
        for (int y = goal; y != start; y = parentState[y]) {
            if (parentEdge[y] != INTERNAL) {
                len++;
            }
        }
        int[] codes = new int[len];
        for (int y = goal; y != start; y = parentState[y]) {
            if (parentEdge[y] != INTERNAL) {
                codes[--len] = parentEdge[y];
            }
        }
        return codes;
    }
}

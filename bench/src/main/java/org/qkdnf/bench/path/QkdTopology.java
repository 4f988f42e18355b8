package org.qkdnf.bench.path;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.qkdnf.controller.path.CostFunction;
import org.qkdnf.controller.path.PathEngine;
import org.qkdnf.controller.path.PathGraph;
import org.qkdnf.controller.path.PathRequest;

/**
 * A generated QKD-like network in a 1,000 km square: a connected random geometric graph of mean
 * degree 4 (see {@link #connectedGeometricLinks}); each
 * direction of a link gets an available key rate log-uniform in [1 kbit/s, 10 Mbit/s), a pool of
 * 0–4 Mbit and the fibre latency (5 us/km). Fixed seed, so every run and every implementation
 * sees the same graph; {@link #pairs} are far-apart source/destination pairs.
 */
public final class QkdTopology {
    /** Requested rate of the benchmark queries: excludes the ~7.5 % of edges below 2 kbit/s. */
    public static final double REQUEST_RATE = 2_000;

    public final PathGraph graph;
    /** Edge costs of the benchmark request (+infinity = excluded); the references use the same. */
    public final double[] costs;
    /** Source and target indices into {@link #graph}. */
    public final int[][] pairs;
    public final double meanHops;

    public QkdTopology(int requestedNodes, long seed, int pairCount) {
        Random rnd = new Random(seed);
        int n = requestedNodes;
        double[] x = new double[n];
        double[] y = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextDouble();
            y[i] = rnd.nextDouble();
        }
        List<int[]> links = connectedGeometricLinks(x, y, 4.0, rnd);
        PathGraph.Builder b = PathGraph.builder();
        for (int i = 0; i < n; i++) {
            b.addNode(id(i));
        }
        for (int[] l : links) {
            double km = 1000 * Math.hypot(x[l[0]] - x[l[1]], y[l[0]] - y[l[1]]);
            double pool = rnd.nextDouble() * 4e6;
            b.addLink("L" + l[0] + "-" + l[1], id(l[0]), id(l[1]), logUniform(rnd), logUniform(rnd), pool, km * 0.005);
        }
        graph = b.build();
        costs = CostFunction.DEFAULT.edgeCosts(graph, REQUEST_RATE);
        // Far-apart pairs: for a random node a, the farthest node b (in straight-line distance,
        // among the 5 % farthest from a) such that a node-disjoint pair a-b exists for the
        // request's rate, so that both the k-shortest and the 1+1 queries succeed and are long.
        PathEngine engine = new PathEngine(graph, CostFunction.DEFAULT);
        List<int[]> chosen = new ArrayList<>();
        double hops = 0;
        int attempts = 0;
        while (chosen.size() < pairCount && attempts++ < pairCount * 50) {
            int a = rnd.nextInt(n);
            Integer[] byDistance = new Integer[n];
            for (int j = 0; j < n; j++) {
                byDistance[j] = j;
            }
            final int from = a;
            java.util.Arrays.sort(byDistance, (u, v) -> Double.compare(
                    Math.hypot(x[from] - x[v], y[from] - y[v]), Math.hypot(x[from] - x[u], y[from] - y[u])));
            for (int j = 0; j < Math.max(1, n / 20); j++) {
                int far = byDistance[j];
                PathRequest req = PathRequest.builder(id(a), id(far)).rate(REQUEST_RATE).build();
                if (engine.nodeDisjointPair(req).isPresent()) {
                    chosen.add(new int[] {graph.nodeIndex(id(a)), graph.nodeIndex(id(far))});
                    hops += engine.shortestPath(req).orElseThrow().hops();
                    break;
                }
            }
        }
        pairs = chosen.toArray(new int[0][]);
        meanHops = hops / pairs.length;
    }

    /**
     * Geometric links with the given mean degree that connect every node: candidate pairs are the
     * node pairs closer than a radius giving about twice that degree; the Euclidean minimum
     * spanning tree over them (Kruskal) makes the graph connected, then the shortest remaining
     * candidates are added until links = n * meanDegree / 2. A plain random geometric graph at
     * mean degree 4 is below its percolation threshold (its largest component holds only a
     * fraction of the nodes), which is not what a planned QKD backbone looks like.
     */
    private static List<int[]> connectedGeometricLinks(double[] x, double[] y, double meanDegree, Random rnd) {
        int n = x.length;
        for (double factor = 2.0; ; factor *= 1.5) {
            double r = Math.sqrt(factor * meanDegree / (Math.PI * n));
            int cells = Math.max(1, (int) (1 / r));
            List<List<Integer>> grid = new ArrayList<>();
            for (int i = 0; i < cells * cells; i++) {
                grid.add(new ArrayList<>());
            }
            for (int i = 0; i < n; i++) {
                grid.get(cell(x[i], cells) * cells + cell(y[i], cells)).add(i);
            }
            List<int[]> cand = new ArrayList<>();
            List<Double> len = new ArrayList<>();
            for (int i = 0; i < n; i++) {
                int cx = cell(x[i], cells);
                int cy = cell(y[i], cells);
                for (int dx = -1; dx <= 1; dx++) {
                    for (int dy = -1; dy <= 1; dy++) {
                        int gx = cx + dx;
                        int gy = cy + dy;
                        if (gx < 0 || gy < 0 || gx >= cells || gy >= cells) {
                            continue;
                        }
                        for (int j : grid.get(gx * cells + gy)) {
                            double d = Math.hypot(x[i] - x[j], y[i] - y[j]);
                            if (j > i && d < r) {
                                cand.add(new int[] {i, j});
                                len.add(d);
                            }
                        }
                    }
                }
            }
            Integer[] order = new Integer[cand.size()];
            for (int i = 0; i < order.length; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, (a, b) -> Double.compare(len.get(a), len.get(b)));
            int[] uf = new int[n];
            for (int i = 0; i < n; i++) {
                uf[i] = i;
            }
            boolean[] taken = new boolean[cand.size()];
            List<int[]> links = new ArrayList<>();
            for (int i : order) {
                int a = find(uf, cand.get(i)[0]);
                int b = find(uf, cand.get(i)[1]);
                if (a != b) {
                    uf[a] = b;
                    taken[i] = true;
                    links.add(cand.get(i));
                }
            }
            if (links.size() < n - 1) {
                continue;
            }
            // No leaves: a node of degree 1 gets its shortest other candidate (a leaf cannot
            // have two disjoint routes; planned backbones avoid them).
            int[] degree = new int[n];
            for (int[] l : links) {
                degree[l[0]]++;
                degree[l[1]]++;
            }
            for (int i : order) {
                int[] c = cand.get(i);
                if (!taken[i] && (degree[c[0]] < 2 || degree[c[1]] < 2)) {
                    taken[i] = true;
                    links.add(c);
                    degree[c[0]]++;
                    degree[c[1]]++;
                }
            }
            int target = (int) Math.round(n * meanDegree / 2);
            List<Integer> rest = new ArrayList<>(java.util.Arrays.asList(order));
            java.util.Collections.shuffle(rest, rnd);
            for (int i : rest) {
                if (links.size() >= target) {
                    break;
                }
                if (!taken[i]) {
                    links.add(cand.get(i));
                }
            }
            return links;
        }
    }

    private static int find(int[] uf, int v) {
        while (uf[v] != v) {
            uf[v] = uf[uf[v]];
            v = uf[v];
        }
        return v;
    }

    private static int cell(double v, int cells) {
        return Math.min(cells - 1, (int) (v * cells));
    }

    private static double logUniform(Random rnd) {
        return Math.pow(10, 3 + 4 * rnd.nextDouble());
    }

    static String id(int i) {
        return String.format("q%05d", i);
    }

    public PathRequest request(int pair) {
        return PathRequest.builder(graph.nodeId(pairs[pair][0]), graph.nodeId(pairs[pair][1]))
                .rate(REQUEST_RATE).maxHops(MAX_HOPS).build();
    }

    /** Hop limit of the benchmark's constrained query; above every path found here, so it only costs checks. */
    public static final int MAX_HOPS = 400;
}

package org.qkdnf.bench.path;

import java.util.List;
import org.jgrapht.GraphPath;
import org.jgrapht.graph.DefaultWeightedEdge;
import org.qkdnf.controller.path.CostFunction;
import org.qkdnf.controller.path.DisjointPair;
import org.qkdnf.controller.path.Path;
import org.qkdnf.controller.path.PathEngine;

/**
 * Do our answers cost the same as the references' on the benchmark graphs and pairs? Prints, per
 * size: k = 4 cost agreement with JGraphT Yen and ONOS KSP; disjoint-pair total agreement with
 * JGraphT Suurballe (link-disjoint, like for like), and how often each reference finds no pair
 * where ours finds one. Run: {@code java -cp bench/target/qkdnf-bench.jar
 * org.qkdnf.bench.path.PathAgreementMain [sizes...] [--pairs N] [--no-onos-k]}.
 */
public final class PathAgreementMain {
    private static final double EPS = 1e-9;

    private PathAgreementMain() {
    }

    public static void main(String[] args) {
        int pairs = 40;
        boolean onosK = true;
        java.util.List<Integer> sizes = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--pairs")) {
                pairs = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--no-onos-k")) {
                onosK = false;
            } else {
                sizes.add(Integer.parseInt(args[i]));
            }
        }
        if (sizes.isEmpty()) {
            sizes = List.of(100, 1000, 5000);
        }
        for (int n : sizes) {
            run(n, pairs, onosK && n <= 1000);
        }
    }

    private static boolean close(double a, double b) {
        return Math.abs(a - b) <= EPS * Math.max(1, Math.abs(a));
    }

    private static void run(int n, int pairCount, boolean onosK) {
        QkdTopology topo = new QkdTopology(n, PathBenchmark.SEED, pairCount);
        PathEngine engine = new PathEngine(topo.graph, CostFunction.DEFAULT);
        References refs = new References(topo);
        int kAgreeJ = 0;
        int kAgreeO = 0;
        int kOnosRuns = 0;
        int nodePairs = 0;
        int linkPairs = 0;
        int pairAgreeJ = 0;
        int jMissing = 0;
        int onosMissingLink = 0;
        int onosMissingNode = 0;
        int onosAgree = 0;
        int onosWorse = 0;
        for (int i = 0; i < topo.pairs.length; i++) {
            int s = topo.pairs[i][0];
            int t = topo.pairs[i][1];
            List<Path> ours = engine.kShortestPaths(topo.request(i), 4);
            List<GraphPath<Integer, DefaultWeightedEdge>> jk = refs.jgraphtK(s, t, 4);
            boolean agree = ours.size() == jk.size();
            for (int j = 0; agree && j < ours.size(); j++) {
                agree = close(ours.get(j).cost(), jk.get(j).getWeight());
            }
            kAgreeJ += agree ? 1 : 0;
            if (onosK && i < 5) {
                List<Double> ok = References.costs(refs.onosK(s, t, 4));
                boolean a = ok.size() == ours.size();
                for (int j = 0; a && j < ours.size(); j++) {
                    a = close(ours.get(j).cost(), ok.get(j));
                }
                kAgreeO += a ? 1 : 0;
                kOnosRuns++;
            }
            var node = engine.nodeDisjointPair(topo.request(i));
            var link = engine.linkDisjointPair(topo.request(i));
            List<GraphPath<Integer, DefaultWeightedEdge>> jp = refs.jgraphtPair(s, t);
            double onos = References.pairTotal(refs.onosPair(s, t));
            if (link.isPresent()) {
                linkPairs++;
                DisjointPair lp = link.get();
                if (jp.size() == 2) {
                    pairAgreeJ += close(lp.totalCost(), jp.get(0).getWeight() + jp.get(1).getWeight()) ? 1 : 0;
                } else {
                    jMissing++;
                }
                if (onos == Double.POSITIVE_INFINITY) {
                    onosMissingLink++;
                } else if (close(onos, lp.totalCost())) {
                    onosAgree++;
                } else if (onos > lp.totalCost()) {
                    onosWorse++;
                }
            }
            if (node.isPresent()) {
                nodePairs++;
                if (onos == Double.POSITIVE_INFINITY) {
                    onosMissingNode++;
                }
            }
        }
        System.out.printf("nodes=%d (component %d, %d directed edges), pairs=%d, mean hops of the cheapest path %.1f%n",
                n, topo.graph.nodeCount(), topo.graph.edgeCount(), topo.pairs.length, topo.meanHops);
        System.out.printf("  k=4 costs equal to JGraphT Yen: %d/%d%n", kAgreeJ, topo.pairs.length);
        if (kOnosRuns > 0) {
            System.out.printf("  k=4 costs equal to ONOS KSP: %d/%d (first %d pairs only: ONOS is slow)%n",
                    kAgreeO, kOnosRuns, kOnosRuns);
        }
        System.out.printf("  link-disjoint pair exists: %d/%d; total equal to JGraphT Suurballe: %d/%d; JGraphT found none: %d%n",
                linkPairs, topo.pairs.length, pairAgreeJ, linkPairs, jMissing);
        System.out.printf("  ONOS Suurballe: equal total %d/%d, costlier %d, no pair %d/%d where a link-disjoint pair exists,"
                + " %d/%d where a node-disjoint pair exists%n",
                onosAgree, linkPairs, onosWorse, onosMissingLink, linkPairs, onosMissingNode, nodePairs);
    }
}

package org.qkdnf.bench.path;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.jgrapht.Graph;
import org.jgrapht.GraphPath;
import org.jgrapht.alg.shortestpath.SuurballeKDisjointShortestPaths;
import org.jgrapht.alg.shortestpath.YenKShortestPath;
import org.jgrapht.graph.DefaultWeightedEdge;
import org.jgrapht.graph.SimpleDirectedWeightedGraph;
import org.onlab.graph.AbstractEdge;
import org.onlab.graph.AdjacencyListsGraph;
import org.onlab.graph.DisjointPathPair;
import org.onlab.graph.EdgeWeigher;
import org.onlab.graph.GraphPathSearch;
import org.onlab.graph.KShortestPathsSearch;
import org.onlab.graph.Path;
import org.onlab.graph.ScalarWeight;
import org.onlab.graph.SuurballeGraphSearch;
import org.onlab.graph.Vertex;
import org.onlab.graph.Weight;

/** The same graph and edge costs as a {@link QkdTopology}, in JGraphT and in ONOS's org.onlab.graph. */
public final class References {
    /** ONOS vertex: the node index. */
    public static final class OV implements Vertex {
        final int id;

        OV(int id) {
            this.id = id;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof OV && ((OV) o).id == id;
        }

        @Override
        public int hashCode() {
            return id;
        }

        @Override
        public String toString() {
            return "v" + id;
        }
    }

    /** ONOS edge with its cost. */
    public static final class OE extends AbstractEdge<OV> {
        final double cost;

        OE(OV src, OV dst, double cost) {
            super(src, dst);
            this.cost = cost;
        }
    }

    static final EdgeWeigher<OV, OE> WEIGHER = new EdgeWeigher<>() {
        @Override
        public Weight weight(OE edge) {
            return new ScalarWeight(edge.cost);
        }

        @Override
        public Weight getInitialWeight() {
            return new ScalarWeight(0);
        }

        @Override
        public Weight getNonViableWeight() {
            return ScalarWeight.NON_VIABLE_WEIGHT;
        }
    };

    public final Graph<Integer, DefaultWeightedEdge> jgraph;
    public final YenKShortestPath<Integer, DefaultWeightedEdge> jyen;
    public final SuurballeKDisjointShortestPaths<Integer, DefaultWeightedEdge> jsuurballe;
    public final AdjacencyListsGraph<OV, OE> ograph;
    public final OV[] overtices;
    public final KShortestPathsSearch<OV, OE> oksp = new KShortestPathsSearch<>();
    public final SuurballeGraphSearch<OV, OE> osuurballe = new SuurballeGraphSearch<>();

    public References(QkdTopology topo) {
        var g = topo.graph;
        jgraph = new SimpleDirectedWeightedGraph<>(DefaultWeightedEdge.class);
        overtices = new OV[g.nodeCount()];
        Set<OV> vs = new HashSet<>();
        Set<OE> es = new HashSet<>();
        for (int v = 0; v < g.nodeCount(); v++) {
            jgraph.addVertex(v);
            overtices[v] = new OV(v);
            vs.add(overtices[v]);
        }
        for (int e = 0; e < g.edgeCount(); e++) {
            double c = topo.costs[e];
            if (c == Double.POSITIVE_INFINITY) {
                continue;
            }
            jgraph.setEdgeWeight(jgraph.addEdge(g.from(e), g.to(e)), c);
            es.add(new OE(overtices[g.from(e)], overtices[g.to(e)], c));
        }
        jyen = new YenKShortestPath<>(jgraph);
        jsuurballe = new SuurballeKDisjointShortestPaths<>(jgraph);
        ograph = new AdjacencyListsGraph<>(vs, es);
    }

    public List<GraphPath<Integer, DefaultWeightedEdge>> jgraphtK(int s, int t, int k) {
        return jyen.getPaths(s, t, k);
    }

    /** JGraphT Suurballe (edge-disjoint): two paths or an empty list. */
    public List<GraphPath<Integer, DefaultWeightedEdge>> jgraphtPair(int s, int t) {
        try {
            return jsuurballe.getPaths(s, t, 2);
        } catch (IllegalArgumentException noPair) {
            // JGraphT throws when fewer than k disjoint paths exist.
            return List.of();
        }
    }

    public Set<Path<OV, OE>> onosK(int s, int t, int k) {
        return oksp.search(ograph, overtices[s], overtices[t], WEIGHER, k).paths();
    }

    public Set<Path<OV, OE>> onosPair(int s, int t) {
        return osuurballe.search(ograph, overtices[s], overtices[t], WEIGHER, GraphPathSearch.ALL_PATHS).paths();
    }

    /** Sorted costs of ONOS paths. */
    static List<Double> costs(Set<Path<OV, OE>> paths) {
        List<Double> c = new ArrayList<>();
        for (Path<OV, OE> p : paths) {
            c.add(((ScalarWeight) p.cost()).value());
        }
        c.sort(null);
        return c;
    }

    /** Smallest total cost of an ONOS Suurballe result that has a backup path, or +infinity. */
    static double pairTotal(Set<Path<OV, OE>> paths) {
        double best = Double.POSITIVE_INFINITY;
        for (Path<OV, OE> p : paths) {
            if (p instanceof DisjointPathPair && ((DisjointPathPair<OV, OE>) p).hasBackup()) {
                DisjointPathPair<OV, OE> pair = (DisjointPathPair<OV, OE>) p;
                double total = sum(pair.primary()) + sum(pair.secondary());
                best = Math.min(best, total);
            }
        }
        return best;
    }

    private static double sum(Path<OV, OE> p) {
        double c = 0;
        for (OE e : p.edges()) {
            c += e.cost;
        }
        return c;
    }
}

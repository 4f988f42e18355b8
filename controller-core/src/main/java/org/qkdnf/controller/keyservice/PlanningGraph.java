package org.qkdnf.controller.keyservice;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.path.PathGraph;

/**
 * The key-relay graph {@link RoutePlanner} searches, kept between requests. Its structure (the
 * nodes and the usable links) is rebuilt only when the topology's nodes or usable links differ
 * from the last request's; a request only fills in each direction's free rate and pool level
 * (its lane's)
 * ({@link PathGraph#withEdgeAttributes}). A recovery pass or a burst of setups plans thousands of
 * routes on one topology while every reservation changes the rates, and building and sorting a
 * graph per route was most of the planning cost.
 *
 * <p>Whether the structure may have changed is learnt from the topology's events
 * ({@link #topologyChanged}), so a request after none only fills in the rates: comparing the
 * topology's nodes and links on every request cost as much as the search on small networks. A
 * request planned after a change but before its event was dispatched sees the structure from
 * before the change, as it would have a moment earlier; the event then re-checks it, and the
 * admission controller's capacities, which the same event updates, decide what may be reserved.
 *
 * <p>Same answers as a graph built from scratch per request: a link without free rate stays an
 * edge, of rate 0, which no search takes (its cost is +infinity, its capacity 0), and node and
 * edge numbering keep their canonical order, so ties break as before.
 *
 * <p>Threads: the key-service manager's thread owns every field here except {@link #stale}, which
 * the topology's event thread sets.
 */
final class PlanningGraph {

    private static final String[] NONE = new String[0];

    private final QkdTopologyService topology;
    private final AdmissionController admission;
    private final PoolLevels pools;
    /** Node ids of the last request, in the topology's order. */
    private String[] nodeKey = NONE;
    /** Id, end A and end B of each usable link of the last request, in the topology's order. */
    private String[] linkKey = NONE;
    /** Null until the first request. */
    private PathGraph structure;
    /**
     * Per edge of {@link #structure}, its lane: the edge from node n over link l is n's lane of l,
     * and a link's two edges are its two lanes, so edges and lanes correspond one to one.
     */
    private String[] edgeLanes = NONE;
    /** Set by {@link #topologyChanged}; cleared before the topology is read, so no change is missed. */
    private volatile boolean stale = true;

    PlanningGraph(QkdTopologyService topology, AdmissionController admission, PoolLevels pools) {
        this.topology = topology;
        this.admission = admission;
        this.pools = pools;
    }

    /**
     * Usable links, each direction weighted by its lane's free admissible rate now, counting
     * {@code alsoFree} (per lane id) as free; {@code excludedLinks} carry nothing either way.
     */
    PathGraph graph(Set<String> excludedLinks, Map<String, Long> alsoFree) {
        refresh();
        long[] free = admission.freeBps(edgeLanes);
        Map<String, Long> stored = pools.bitsByLane();
        double[] rate = new double[edgeLanes.length];
        double[] pool = new double[edgeLanes.length];
        for (int e = 0; e < edgeLanes.length; e++) {
            long f = excludedLinks.contains(structure.linkId(e)) ? 0 : free[e] + alsoFree.getOrDefault(edgeLanes[e], 0L);
            if (f > 0) {
                rate[e] = f;
                // Pool term of the cost (CostFunction): key already stored in the lane absorbs
                // bursts and short outages, so among equally short routes the fuller lanes win;
                // the term is at most half a hop, so it never buys a longer route.
                pool[e] = stored.getOrDefault(edgeLanes[e], 0L);
            }
        }
        return structure.withEdgeAttributes(rate, pool);
    }

    /** A topology event happened: the next request compares the structure again. Any thread. */
    void topologyChanged() {
        stale = true;
    }

    private void refresh() {
        if (!stale) {
            return;
        }
        stale = false;
        Collection<QkdNodeInfo> nodes = topology.getNodes();
        String[] nk = new String[nodes.size()];
        int i = 0;
        for (QkdNodeInfo n : nodes) {
            nk[i++] = n.qkdnId();
        }
        List<String> lk = new ArrayList<>();
        for (QkdLinkInfo l : topology.getLinks()) {
            if (RoutePlanner.usable(l)) {
                lk.add(l.qkdlId());
                lk.add(l.nodeIdA());
                lk.add(l.nodeIdB());
            }
        }
        String[] lka = lk.toArray(NONE);
        if (structure != null && Arrays.equals(nk, nodeKey) && Arrays.equals(lka, linkKey)) {
            return;
        }
        PathGraph.Builder b = PathGraph.builder();
        for (String n : nk) {
            b.addNode(n);
        }
        for (int k = 0; k < lka.length; k += 3) {
            b.addLink(lka[k], lka[k + 1], lka[k + 2], 0, 0, 0, 0);
        }
        PathGraph g = b.build();
        String[] el = new String[g.edgeCount()];
        for (int e = 0; e < el.length; e++) {
            el[e] = LaneIds.of(g.linkId(e), g.nodeId(g.from(e)));
        }
        structure = g;
        edgeLanes = el;
        nodeKey = nk;
        linkKey = lka;
    }
}

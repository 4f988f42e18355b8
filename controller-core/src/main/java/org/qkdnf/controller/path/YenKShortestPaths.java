package org.qkdnf.controller.path;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

/**
 * Yen's k shortest simple paths with the request's constraints, on {@link ShortestPathSearch}.
 *
 * <p>For each accepted path P and each spur index i, the spur search starts at P's i-th node with
 * the root's earlier nodes blocked and, for every accepted path sharing the root, its next edge
 * blocked; the remaining hop budget and the waypoints not yet passed go with it. Lawler's
 * refinement: a path found by deviating at index i is only spurred from index i on (earlier
 * deviations were already explored by its parent). Candidates are kept in a set ordered by
 * {@link Path#ORDER} (cost, then node sequence, then edge sequence) and de-duplicated by edge
 * sequence, so ties are resolved by a total order.
 */
final class YenKShortestPaths {
    private YenKShortestPaths() {
    }

    static List<Path> search(ShortestPathSearch sp, int s, int t, int[] via, int maxHops, int k) {
        PathGraph g = sp.graph();
        double[] cost = sp.costs();
        List<Path> accepted = new ArrayList<>(k);
        List<Integer> deviation = new ArrayList<>(k);
        sp.clearBlocks();
        int[] first = sp.constrained(s, t, via, maxHops);
        if (first == null) {
            return accepted;
        }
        accepted.add(new Path(g, first, cost));
        deviation.add(0);
        TreeSet<Path> candidates = new TreeSet<>(Path.ORDER);
        Set<Path> known = new HashSet<>();
        known.add(accepted.get(0));
        java.util.Map<Path, Integer> candidateDeviation = new java.util.HashMap<>();
        while (accepted.size() < k) {
            Path p = accepted.get(accepted.size() - 1);
            int[] pe = p.edgesRaw();
            for (int i = deviation.get(deviation.size() - 1); i < pe.length; i++) {
                int spur = p.node(i);
                sp.clearBlocks();
                for (int j = 0; j < i; j++) {
                    sp.blockNode(p.node(j));
                }
                for (Path q : accepted) {
                    if (q.hops() > i && samePrefix(q.edgesRaw(), pe, i)) {
                        sp.blockEdge(q.edge(i));
                    }
                }
                int passed = 0;
                for (int j = 0; j <= i; j++) {
                    if (passed < via.length && p.node(j) == via[passed]) {
                        passed++;
                    }
                }
                int[] restVia = java.util.Arrays.copyOfRange(via, passed, via.length);
                int budget = maxHops == PathRequest.UNLIMITED_HOPS ? maxHops : maxHops - i;
                if (budget < 1) {
                    break;
                }
                int[] spurEdges = sp.constrained(spur, t, restVia, budget);
                if (spurEdges == null) {
                    continue;
                }
                int[] full = new int[i + spurEdges.length];
                System.arraycopy(pe, 0, full, 0, i);
                System.arraycopy(spurEdges, 0, full, i, spurEdges.length);
                Path c = new Path(g, full, cost);
                if (known.add(c)) {
                    candidates.add(c);
                    candidateDeviation.put(c, i);
                }
            }
            sp.clearBlocks();
            if (candidates.isEmpty()) {
                break;
            }
            Path next = candidates.pollFirst();
            accepted.add(next);
            deviation.add(candidateDeviation.remove(next));
        }
        return accepted;
    }

    private static boolean samePrefix(int[] a, int[] b, int len) {
        for (int j = 0; j < len; j++) {
            if (a[j] != b[j]) {
                return false;
            }
        }
        return true;
    }
}

package org.qkdnf.controller.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Hand-made graphs with known answers. Costs are hop counts unless stated. */
class PathEngineTest {
    private static final double MBIT = 1_000_000;

    /** a-b-d, a-c-d (equal), a-e-f-d (longer), b-c. */
    private static PathGraph diamond() {
        return PathGraph.builder()
                .addLink("ab", "a", "b", MBIT, MBIT, 0, 0)
                .addLink("bd", "b", "d", MBIT, MBIT, 0, 0)
                .addLink("ac", "a", "c", MBIT, MBIT, 0, 0)
                .addLink("cd", "c", "d", MBIT, MBIT, 0, 0)
                .addLink("bc", "b", "c", MBIT, MBIT, 0, 0)
                .addLink("ae", "a", "e", 10 * MBIT, 10 * MBIT, 0, 0)
                .addLink("ef", "e", "f", 10 * MBIT, 10 * MBIT, 0, 0)
                .addLink("fd", "f", "d", 10 * MBIT, 10 * MBIT, 0, 0)
                .build();
    }

    private static PathEngine hops(PathGraph g) {
        return new PathEngine(g, CostFunction.hopCount());
    }

    @Test
    void shortestPathBreaksEqualCostTiesByNodeOrder() {
        Path p = hops(diamond()).shortestPath(PathRequest.builder("a", "d").build()).orElseThrow();
        assertThat(p.nodeIds()).containsExactly("a", "b", "d");
        assertThat(p.linkIds()).containsExactly("ab", "bd");
        assertThat(p.cost()).isEqualTo(2.0);
    }

    @Test
    void rateExcludesLinksThatCannotCarryIt() {
        Path p = hops(diamond()).shortestPath(PathRequest.builder("a", "d").rate(2 * MBIT).build()).orElseThrow();
        assertThat(p.nodeIds()).containsExactly("a", "e", "f", "d");
        assertThat(hops(diamond()).shortestPath(PathRequest.builder("a", "d").rate(20 * MBIT).build())).isEmpty();
    }

    @Test
    void avoidedNodesAreNotUsed() {
        Path p = hops(diamond()).shortestPath(PathRequest.builder("a", "d").avoid("b").build()).orElseThrow();
        assertThat(p.nodeIds()).containsExactly("a", "c", "d");
        Path q = hops(diamond()).shortestPath(PathRequest.builder("a", "d").avoid("b", "c").build()).orElseThrow();
        assertThat(q.nodeIds()).containsExactly("a", "e", "f", "d");
    }

    @Test
    void maxHopsPicksTheCheapestPathWithinTheLimit() {
        // Cheap long path s-x-y-z-t (latency 0) against an expensive direct 2-hop path (latency 1000 ms).
        PathGraph g = PathGraph.builder()
                .addLink("sx", "s", "x", MBIT, MBIT, 0, 0)
                .addLink("xy", "x", "y", MBIT, MBIT, 0, 0)
                .addLink("yz", "y", "z", MBIT, MBIT, 0, 0)
                .addLink("zt", "z", "t", MBIT, MBIT, 0, 0)
                .addLink("sm", "s", "m", MBIT, MBIT, 0, 1000)
                .addLink("mt", "m", "t", MBIT, MBIT, 0, 1000)
                .addLink("sq", "s", "q", MBIT, MBIT, 0, 0)
                .addLink("qz", "q", "z", MBIT, MBIT, 0, 500)
                .build();
        PathEngine engine = new PathEngine(g, CostFunction.DEFAULT);
        assertThat(engine.shortestPath(PathRequest.builder("s", "t").build()).orElseThrow().nodeIds())
                .containsExactly("s", "x", "y", "z", "t");
        assertThat(engine.shortestPath(PathRequest.builder("s", "t").maxHops(3).build()).orElseThrow().nodeIds())
                .containsExactly("s", "q", "z", "t");
        assertThat(engine.shortestPath(PathRequest.builder("s", "t").maxHops(2).build()).orElseThrow().nodeIds())
                .containsExactly("s", "m", "t");
        assertThat(engine.shortestPath(PathRequest.builder("s", "t").maxHops(1).build())).isEmpty();
        for (Path p : engine.kShortestPaths(PathRequest.builder("s", "t").maxHops(3).build(), 4)) {
            assertThat(p.hops()).isLessThanOrEqualTo(3);
        }
    }

    @Test
    void waypointsArePassedInOrderAndThePathStaysSimple() {
        PathEngine engine = hops(diamond());
        Path p = engine.shortestPath(PathRequest.builder("a", "d").via("c", "b").build()).orElseThrow();
        assertThat(p.nodeIds()).containsExactly("a", "c", "b", "d");
        Path q = engine.shortestPath(PathRequest.builder("a", "d").via("f").build()).orElseThrow();
        assertThat(q.nodeIds()).containsExactly("a", "e", "f", "d");
        List<Path> k = engine.kShortestPaths(PathRequest.builder("a", "d").via("c").build(), 4);
        assertThat(k).isNotEmpty().allSatisfy(path -> {
            assertThat(path.nodeIds()).contains("c").doesNotHaveDuplicates();
        });
        assertThat(k.get(0).nodeIds()).containsExactly("a", "c", "d");
        assertThatThrownBy(() -> PathRequest.builder("a", "d").via("a").build())
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void waypointsRespectTheHopLimitAndAvoidedNodes() {
        PathEngine engine = hops(diamond());
        assertThat(engine.shortestPath(PathRequest.builder("a", "d").via("c", "b").maxHops(3).build())
                .orElseThrow().nodeIds()).containsExactly("a", "c", "b", "d");
        assertThat(engine.shortestPath(PathRequest.builder("a", "d").via("c", "b").maxHops(2).build())).isEmpty();
        assertThat(engine.shortestPath(PathRequest.builder("a", "d").via("f").avoid("e").build())).isEmpty();
        assertThat(engine.kShortestPaths(PathRequest.builder("a", "d").via("b").maxHops(3).build(), 4))
                .extracting(p -> String.join("", p.nodeIds()))
                .containsExactly("abd", "abcd", "acbd");
    }

    @Test
    void splitHonoursAvoidedNodes() {
        PathGraph g = PathGraph.builder()
                .addLink("sa", "s", "a", 5 * MBIT, 5 * MBIT, 0, 0)
                .addLink("at", "a", "t", 5 * MBIT, 5 * MBIT, 0, 0)
                .addLink("sb", "s", "b", 3 * MBIT, 3 * MBIT, 0, 0)
                .addLink("bt", "b", "t", 3 * MBIT, 3 * MBIT, 0, 0)
                .build();
        RateSplit split = hops(g).split(PathRequest.builder("s", "t").rate(7 * MBIT).avoid("a").build(), 8);
        assertThat(split.totalRate()).isEqualTo(3_000_000L);
        assertThat(split.shares()).hasSize(1);
        assertThat(split.shares().get(0).path().nodeIds()).containsExactly("s", "b", "t");
    }

    @Test
    void kShortestPathsInCostThenNodeOrder() {
        List<Path> paths = hops(diamond()).kShortestPaths(PathRequest.builder("a", "d").build(), 4);
        assertThat(paths.stream().map(p -> String.join("", p.nodeIds())).collect(Collectors.toList()))
                .containsExactly("abd", "acd", "abcd", "acbd");
        List<Path> all = hops(diamond()).kShortestPaths(PathRequest.builder("a", "d").build(), 10);
        assertThat(all).hasSize(5);
        assertThat(all.get(4).nodeIds()).containsExactly("a", "e", "f", "d");
    }

    @Test
    void disjointPairAvoidsTheTrap() {
        // Suurballe's trap: the shortest path s-a-b-t blocks every disjoint partner of itself.
        PathGraph g = PathGraph.builder()
                .addLink("sa", "s", "a", MBIT, MBIT, 0, 0)
                .addLink("ab", "a", "b", MBIT, MBIT, 0, 0)
                .addLink("bt", "b", "t", MBIT, MBIT, 0, 0)
                .addLink("sc", "s", "c", MBIT, MBIT, 0, 0)
                .addLink("cb", "c", "b", MBIT, MBIT, 0, 0)
                .addLink("ad", "a", "d", MBIT, MBIT, 0, 0)
                .addLink("dt", "d", "t", MBIT, MBIT, 0, 0)
                .build();
        PathEngine engine = hops(g);
        assertThat(engine.shortestPath(PathRequest.builder("s", "t").build()).orElseThrow().nodeIds())
                .containsExactly("s", "a", "b", "t");
        DisjointPair pair = engine.nodeDisjointPair(PathRequest.builder("s", "t").build()).orElseThrow();
        assertThat(pair.primary().nodeIds()).containsExactly("s", "a", "d", "t");
        assertThat(pair.secondary().nodeIds()).containsExactly("s", "c", "b", "t");
        assertThat(pair.totalCost()).isEqualTo(6.0);
    }

    @Test
    void nodeDisjointNeedsTwoInteriorRoutesButLinkDisjointMayShareANode() {
        // Two routes meet at m: link-disjoint pair exists, node-disjoint does not.
        PathGraph g = PathGraph.builder()
                .addLink("s1", "s", "x", MBIT, MBIT, 0, 0)
                .addLink("s2", "s", "y", MBIT, MBIT, 0, 0)
                .addLink("x1", "x", "m", MBIT, MBIT, 0, 0)
                .addLink("y1", "y", "m", MBIT, MBIT, 0, 0)
                .addLink("m1", "m", "p", MBIT, MBIT, 0, 0)
                .addLink("m2", "m", "q", MBIT, MBIT, 0, 0)
                .addLink("p1", "p", "t", MBIT, MBIT, 0, 0)
                .addLink("q1", "q", "t", MBIT, MBIT, 0, 0)
                .build();
        PathEngine engine = hops(g);
        assertThat(engine.nodeDisjointPair(PathRequest.builder("s", "t").build())).isEmpty();
        DisjointPair pair = engine.linkDisjointPair(PathRequest.builder("s", "t").build()).orElseThrow();
        assertThat(pair.totalCost()).isEqualTo(8.0);
        assertThat(pair.primary().linkIds()).doesNotContainAnyElementsOf(pair.secondary().linkIds());
    }

    @Test
    void parallelLinksFormADisjointPair() {
        PathGraph g = PathGraph.builder()
                .addLink("l2", "s", "t", MBIT, MBIT, 0, 0)
                .addLink("l1", "s", "t", MBIT, MBIT, 0, 0)
                .build();
        DisjointPair pair = hops(g).nodeDisjointPair(PathRequest.builder("s", "t").build()).orElseThrow();
        assertThat(pair.primary().linkIds()).containsExactly("l1");
        assertThat(pair.secondary().linkIds()).containsExactly("l2");
    }

    @Test
    void splitSpreadsARateNoSinglePathCarries() {
        // Three routes of 5, 3 and 4 Mbit/s; 10 Mbit/s requested.
        PathGraph g = PathGraph.builder()
                .addLink("sa", "s", "a", 5 * MBIT, 5 * MBIT, 0, 0)
                .addLink("at", "a", "t", 5 * MBIT, 5 * MBIT, 0, 0)
                .addLink("sb", "s", "b", 3 * MBIT, 3 * MBIT, 0, 0)
                .addLink("bt", "b", "t", 3 * MBIT, 3 * MBIT, 0, 0)
                .addLink("sc", "s", "c", 4 * MBIT, 4 * MBIT, 0, 0)
                .addLink("cd", "c", "d", 4 * MBIT, 4 * MBIT, 0, 0)
                .addLink("dt", "d", "t", 4 * MBIT, 4 * MBIT, 0, 0)
                .build();
        PathEngine engine = hops(g);
        PathRequest request = PathRequest.builder("s", "t").rate(10 * MBIT).build();
        assertThat(engine.shortestPath(request)).isEmpty();
        RateSplit split = engine.split(request, 8);
        assertThat(split.satisfied()).isTrue();
        assertThat(split.totalRate()).isEqualTo(10_000_000L);
        // Min cost: both 2-hop routes full, the rest on the 3-hop route.
        assertThat(split.shares()).extracting(s -> String.join("", s.path().nodeIds()) + "=" + s.rate())
                .containsExactly("sat=5000000", "sbt=3000000", "scdt=2000000");
        RateSplit two = engine.split(request, 2);
        assertThat(two.shares()).hasSize(2);
        assertThat(two.satisfied()).isFalse();
        assertThat(engine.split(PathRequest.builder("s", "t").rate(20 * MBIT).build(), 8).totalRate())
                .isEqualTo(12_000_000L);
    }

    @Test
    void costFunctionFollowsItsFormula() {
        CostFunction f = CostFunction.DEFAULT;
        assertThat(f.edgeCost(0, MBIT, 0, 0)).isEqualTo(1.5);
        assertThat(f.edgeCost(MBIT / 2, MBIT, MBIT, 100)).isCloseTo(1 + 0.5 + 0.25 + 1.0, org.assertj.core.data.Offset.offset(1e-12));
        assertThat(f.edgeCost(2 * MBIT, MBIT, 0, 0)).isInfinite();
        assertThat(f.edgeCost(0, 0, 0, 0)).isInfinite();
    }

    @Test
    void unknownNodesAreRejected() {
        assertThatThrownBy(() -> hops(diamond()).shortestPath(PathRequest.builder("a", "zz").build()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

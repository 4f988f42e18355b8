package org.qkdnf.controller.path;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class PathGraphTest {

    @Test
    void numberingIsCanonicalWhateverTheInsertionOrder() {
        PathGraph g1 = PathGraph.builder()
                .addLink("x", "c", "a", 1, 2, 0, 0)
                .addLink("y", "b", "a", 3, 4, 0, 0)
                .addNode("d")
                .build();
        PathGraph g2 = PathGraph.builder()
                .addNode("d")
                .addEdge("y", "a", "b", 4, 0, 0)
                .addEdge("x", "a", "c", 2, 0, 0)
                .addEdge("y", "b", "a", 3, 0, 0)
                .addEdge("x", "c", "a", 1, 0, 0)
                .build();
        for (PathGraph g : new PathGraph[] {g1, g2}) {
            assertThat(g.nodeCount()).isEqualTo(4);
            assertThat(g.edgeCount()).isEqualTo(4);
            assertThat(g.nodeId(0)).isEqualTo("a");
            assertThat(g.nodeIndex("d")).isEqualTo(3);
            assertThat(g.nodeIndex("zz")).isEqualTo(-1);
            // CSR: a's out-edges first (to b, then to c), then b's, then c's; d has none.
            assertThat(g.outStart(0)).isEqualTo(0);
            assertThat(g.outStart(1)).isEqualTo(2);
            assertThat(g.outStart(3)).isEqualTo(4);
            assertThat(g.outStart(4)).isEqualTo(4);
            assertThat(g.to(0)).isEqualTo(1);
            assertThat(g.availableRate(0)).isEqualTo(4);
            assertThat(g.linkId(1)).isEqualTo("x");
            assertThat(g.availableRate(1)).isEqualTo(2);
            assertThat(g.from(3)).isEqualTo(2);
        }
    }

    @Test
    void edgeAttributesChangeWithoutRenumbering() {
        PathGraph g = PathGraph.builder()
                .addLink("x", "c", "a", 1, 2, 10, 0)
                .addLink("y", "b", "a", 3, 4, 20, 0)
                .build();
        PathGraph h = g.withEdgeAttributes(new double[] {5, 6, 7, 8}, new double[] {1, 2, 3, 4});
        for (int e = 0; e < 4; e++) {
            assertThat(h.linkId(e)).isEqualTo(g.linkId(e));
            assertThat(h.from(e)).isEqualTo(g.from(e));
            assertThat(h.to(e)).isEqualTo(g.to(e));
            assertThat(h.availableRate(e)).isEqualTo(5 + e);
            assertThat(h.poolBits(e)).isEqualTo(1 + e);
        }
        assertThat(g.availableRate(0)).isEqualTo(4);
        assertThatThrownBy(() -> g.withEdgeAttributes(new double[3], new double[4]))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> g.withEdgeAttributes(new double[] {0, -1, 0, 0}, new double[4]))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("link");
    }

    @Test
    void anEdgeOfRateZeroIsNoRouteLikeAMissingOne() {
        // a-b-d is the only short path; a-c-d is longer. Without capacity on a-b the answer must be
        // the one of a graph that does not have a-b at all.
        PathGraph full = PathGraph.builder()
                .addLink("ab", "a", "b", 100, 100, 0, 0).addLink("bd", "b", "d", 100, 100, 0, 0)
                .addLink("ac", "a", "c", 100, 100, 0, 0).addLink("ce", "c", "e", 100, 100, 0, 0)
                .addLink("ed", "e", "d", 100, 100, 0, 0)
                .build();
        double[] rate = new double[full.edgeCount()];
        for (int e = 0; e < rate.length; e++) {
            rate[e] = full.linkId(e).equals("ab") ? 0 : 100;
        }
        PathGraph zero = full.withEdgeAttributes(rate, new double[rate.length]);
        PathGraph without = PathGraph.builder()
                .addNode("b").addLink("bd", "b", "d", 100, 100, 0, 0)
                .addLink("ac", "a", "c", 100, 100, 0, 0).addLink("ce", "c", "e", 100, 100, 0, 0)
                .addLink("ed", "e", "d", 100, 100, 0, 0)
                .build();
        PathRequest r = PathRequest.builder("a", "d").rate(10).build();
        Path viaZero = new PathEngine(zero, CostFunction.DEFAULT).shortestPath(r).orElseThrow();
        Path viaWithout = new PathEngine(without, CostFunction.DEFAULT).shortestPath(r).orElseThrow();
        assertThat(viaZero.linkIds()).containsExactly("ac", "ce", "ed").isEqualTo(viaWithout.linkIds());
        assertThat(new PathEngine(zero, CostFunction.DEFAULT).split(r, 4).shares())
                .hasSameSizeAs(new PathEngine(without, CostFunction.DEFAULT).split(r, 4).shares());
    }

    @Test
    void rejectsDuplicateEdgesAndSelfLoops() {
        assertThatThrownBy(() -> PathGraph.builder().addLink("l", "a", "b", 1, 1, 0, 0)
                .addEdge("l", "a", "b", 1, 0, 0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PathGraph.builder().addEdge("l", "a", "a", 1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PathGraph.builder().addEdge("l", "a", "b", -1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

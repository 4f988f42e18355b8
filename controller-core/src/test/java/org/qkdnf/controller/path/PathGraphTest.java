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
    void rejectsDuplicateEdgesAndSelfLoops() {
        assertThatThrownBy(() -> PathGraph.builder().addLink("l", "a", "b", 1, 1, 0, 0)
                .addEdge("l", "a", "b", 1, 0, 0).build()).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PathGraph.builder().addEdge("l", "a", "a", 1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> PathGraph.builder().addEdge("l", "a", "b", -1, 0, 0))
                .isInstanceOf(IllegalArgumentException.class);
    }
}

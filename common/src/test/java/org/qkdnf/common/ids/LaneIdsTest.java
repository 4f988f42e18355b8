package org.qkdnf.common.ids;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class LaneIdsTest {

    private static final String NODE = "b0000000-0000-4000-8000-00000000000b";

    @Test
    void aLaneIsTheKeyManagersPoolIdAndReadsAsLinkAndDirection() {
        assertThat(LaneIds.of("link-1", NODE)).isEqualTo("link-1/" + NODE);
        assertThat(LaneIds.describe(LaneIds.of("metro/link-1", NODE))).isEqualTo("link metro/link-1 from node " + NODE);
        assertThat(LaneIds.describe("L2")).isEqualTo("lane L2");
        assertThat(LaneIds.describe("L2/")).isEqualTo("lane L2/");
    }
}

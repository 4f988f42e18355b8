package org.qkdnf.controller.app.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;

import java.nio.charset.StandardCharsets;
import java.time.Instant;

import org.junit.jupiter.api.Test;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

class TopologyRecordsTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    @Test
    void nodeRecordKeepsInventoryConnectionAndLastSeen() {
        QkdNodeInfo n = new QkdNodeInfo(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)), true,
                Instant.parse("2026-11-25T10:15:30.123456789Z"));
        byte[] record = TopologyRecords.encodeNode(n, "instance-1");
        assertThat(TopologyRecords.decodeNode(A, record)).isEqualTo(n);
        assertThat(TopologyRecords.hostOf(A, record)).isEqualTo("instance-1");
    }

    @Test
    void settingsRecordIsReadableText() {
        ControllerSettings s = ControllerSettings.defaults().withQberDegradedThreshold(0.1);
        byte[] bytes = TopologyRecords.encodeSettings(s);
        assertThat(new String(bytes, StandardCharsets.UTF_8)).contains("qberDegradedThreshold=0.1\n");
        assertThat(TopologyRecords.decodeSettings(bytes)).isEqualTo(s);
    }

    @Test
    void malformedSettingsAreRefusedNamingTheSetting() {
        assertThatThrownBy(() -> TopologyRecords.decodeSettings("qberDegradedThreshold=2".getBytes(StandardCharsets.UTF_8)))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("qberDegradedThreshold");
    }
}

package org.qkdnf.controller.impl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;

import java.util.Arrays;

import org.junit.jupiter.api.Test;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

class QkdLinkRecordTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    @Test
    void keepsBothEndsAndTheirStatuses() {
        QkdLinkInfo l = QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE))
                .withReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE), 0.08)
                .withEndStatus(B, QkdlStatus.QKDL_STATUS_OFF, 0.08);
        QkdLinkInfo back = QkdLinkRecord.decode(AB, QkdLinkRecord.encode(l));
        assertThat(back.sameStructure(l)).isTrue();
        assertThat(back.nodeIds()).containsExactly(A, B);
        assertThat(back.status()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
    }

    @Test
    void aLinkKnownFromOneEndStaysPending() {
        QkdLinkInfo l = QkdLinkInfo.fromReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE));
        QkdLinkInfo back = QkdLinkRecord.decode(AB, QkdLinkRecord.encode(l));
        assertThat(back.reportA()).isNull();
        assertThat(back.status()).isEqualTo(QkdlStatus.QKDL_STATUS_PENDING);
    }

    @Test
    void unknownFormatsStatusesAndTruncatedRecordsAreRefusedNamingTheLink() {
        byte[] link = QkdLinkRecord.encode(QkdLinkInfo.fromReport(linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        link[0] = 9;
        assertThatThrownBy(() -> QkdLinkRecord.decode(AB, link))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(AB).hasMessageContaining("format 9");
        // Reported by B only: the record ends with B's status.
        byte[] ok = QkdLinkRecord.encode(QkdLinkInfo.fromReport(linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE)));
        ok[ok.length - 1] = 77;
        assertThatThrownBy(() -> QkdLinkRecord.decode(AB, ok)).hasMessageContaining("qkdl_status 77");
        byte[] truncated = Arrays.copyOf(ok, ok.length - 3);
        assertThatThrownBy(() -> QkdLinkRecord.decode(AB, truncated)).hasMessageContaining("EOFException");
    }
}

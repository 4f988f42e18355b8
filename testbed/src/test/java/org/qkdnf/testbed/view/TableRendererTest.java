package org.qkdnf.testbed.view;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.qkdnf.testbed.report.ReportSchemaTest;
import org.qkdnf.testbed.report.TestbedReport;

class TableRendererTest {

    @Test
    void unitsAreHumanReadable() {
        assertThat(Units.rate(1_234_567.0)).isEqualTo("1.23 Mbit/s");
        assertThat(Units.rate(456_000.0)).isEqualTo("456 kbit/s");
        assertThat(Units.rate(999.9)).isEqualTo("1.00 kbit/s");
        assertThat(Units.rate(12.34)).isEqualTo("12.3 bit/s");
        assertThat(Units.rate(0.0)).isEqualTo("0 bit/s");
        assertThat(Units.rate(null)).isEqualTo("-");
        assertThat(Units.percent(0.0152)).isEqualTo("1.52 %");
        assertThat(Units.km(96.0)).isEqualTo("96.0");
    }

    @Test
    void tableHasOneRowPerLinkWithStatusRateAndQber() {
        TestbedReport r = ReportSchemaTest.sampleReport();
        String table = TableRenderer.table(r, List.of(new StatusChangeLog.Change(
                r.startedAt().plusSeconds(20), "p1", "A--B", "ACTIVE", "OFF")), r.startedAt(), "Ctrl-C to stop", false);
        assertThat(table).contains("qkdnf testbed: tiny")
                .contains("provider p1: nodes 1/2 connected, links 1/2 ACTIVE, 1 other, 0 degraded, total SKR 123 kbit/s")
                .containsPattern("A--B +A +B +12\\.0 +ACTIVE +123 kbit/s +1\\.52 %")
                .containsPattern("B--A +B +A +- +UNKNOWN +- +-")
                .contains("t =  20.0 s  A--B: ACTIVE -> OFF")
                .containsPattern("a-to-b +sae-a +sae-b +RESTORATION +ACTIVE +1 +1 +40 +10\\.2 kbit +0")
                .contains("key relay: 164 kbit relayed, 1.28 kbit spent on authentication, 0 relay failures")
                .contains("Ctrl-C to stop")
                .doesNotContain("\u001b[");
    }

    @Test
    void aOnePlusOneServiceShowsTheHopsOfBothRoutes() {
        TestbedReport r = ReportSchemaTest.sampleReport();
        TestbedReport.ProviderReport p = r.providers().get(0);
        TestbedReport.KeyServiceReport ks = p.keyServices().get(0);
        TestbedReport.KeyServiceReport pair = new TestbedReport.KeyServiceReport(ks.name(), ks.masterSae(),
                ks.slaveSae(), List.of("A", "B"), List.of("A", "C", "D", "B"), "ONE_PLUS_ONE", ks.state(),
                ks.reroutes(), ks.reservedBps(), ks.deliveredBps(), ks.interruptionS(), ks.keysDelivered(),
                ks.keyBitsDelivered(), ks.mismatches(), ks.failedRequests());
        TestbedReport withPair = new TestbedReport(r.schemaVersion(), r.scenario(), r.startedAt(), r.durationS(),
                List.of(new TestbedReport.ProviderReport(p.providerId(), p.nodes(), p.links(), List.of(pair),
                        p.keyManagement())));
        assertThat(TableRenderer.table(withPair, List.of(), r.startedAt(), null, false))
                .containsPattern("a-to-b +sae-a +sae-b +ONE_PLUS_ONE +ACTIVE +1\\+3 +1 ");
    }

    @Test
    void plainSummaryNamesLinksThatAreNotActive() {
        assertThat(TableRenderer.plain(ReportSchemaTest.sampleReport()))
                .startsWith("[t= 31s] provider p1:")
                .contains("[B--A UNKNOWN]");
    }
}

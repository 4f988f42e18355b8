package org.qkdnf.testbed.report;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.testbed.report.TestbedReport.KeyManagementReport;
import org.qkdnf.testbed.report.TestbedReport.KeyServiceReport;
import org.qkdnf.testbed.report.TestbedReport.LinkReport;
import org.qkdnf.testbed.report.TestbedReport.LocationReport;
import org.qkdnf.testbed.report.TestbedReport.NodeReport;
import org.qkdnf.testbed.report.TestbedReport.PoolReport;
import org.qkdnf.testbed.report.TestbedReport.ProviderReport;

/** Pins the JSON schema documented in the README: names, types, nulls. */
public class ReportSchemaTest {

    public static TestbedReport sampleReport() {
        return new TestbedReport(TestbedReport.SCHEMA_VERSION, "tiny", Instant.parse("2026-11-24T20:00:00Z"), 30.5,
                List.of(new ProviderReport("p1",
                        List.of(new NodeReport("A", "6f1c0b8e-0000-3000-8000-000000000001",
                                        new LocationReport(52.5, 13.4, "Berlin"), "OPERATING", true),
                                new NodeReport("B", "6f1c0b8e-0000-3000-8000-000000000002", null,
                                        ReportBuilder.UNKNOWN, false)),
                        List.of(new LinkReport("A--B", "6f1c0b8e-0000-3000-8000-000000000003", "A", "B", 12.0,
                                        "ACTIVE", false, 123456.7, 0.0152, 987654L,
                                        Instant.parse("2026-11-24T20:00:30Z")),
                                new LinkReport("B--A", "6f1c0b8e-0000-3000-8000-000000000004", "B", "A", null,
                                        ReportBuilder.UNKNOWN, false, null, null, null, null)),
                        List.of(new KeyServiceReport("a-to-b", "sae-a", "sae-b", List.of("A", "B"), List.of(), "RESTORATION", "ACTIVE", 1,
                                5120, 2560.0, 0.75, 40, 10240, 0, 2)),
                        new KeyManagementReport(163840, 1280, 0, 524288,
                                List.of(new PoolReport("A--B", "A", 1048576, 65536),
                                        new PoolReport("A--B", "B", 1048576, 65536))))));
    }

    @Test
    void everyDocumentedFieldHasItsType(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("sub/r.json");
        ReportWriter.write(sampleReport(), file);
        JsonNode root = ReportWriter.mapper().readTree(Files.readString(file));

        assertThat(fieldNames(root)).containsExactly("schema_version", "scenario", "started_at", "duration_s",
                "providers");
        assertThat(root.get("schema_version").isInt()).isTrue();
        assertThat(root.get("scenario").isTextual()).isTrue();
        assertThat(Instant.parse(root.get("started_at").asText())).isEqualTo(Instant.parse("2026-11-24T20:00:00Z"));
        assertThat(root.get("duration_s").isNumber()).isTrue();

        JsonNode p = root.get("providers").get(0);
        assertThat(fieldNames(p)).containsExactly("provider_id", "nodes", "links", "key_services", "key_management");

        JsonNode ks = p.get("key_services").get(0);
        assertThat(fieldNames(ks)).containsExactly("name", "master_sae", "slave_sae", "route", "protection_route", "routing", "state",
                "reroutes", "reserved_bps", "delivered_bps", "interruption_s", "keys_delivered", "key_bits_delivered",
                "mismatches", "failed_requests");
        assertThat(ks.get("interruption_s").isNumber()).isTrue();
        assertThat(ks.get("route").isArray()).isTrue();
        assertThat(ks.get("protection_route").isArray()).isTrue();
        assertThat(ks.get("keys_delivered").isIntegralNumber()).isTrue();
        assertThat(ks.get("mismatches").asLong()).isZero();
        JsonNode km = p.get("key_management");
        assertThat(fieldNames(km)).containsExactly("bits_relayed", "auth_bits_spent", "relay_failures", "bits_trimmed",
                "pools");
        assertThat(fieldNames(km.get("pools").get(0))).containsExactly("link", "node", "available_bits",
                "consumed_bits");

        JsonNode node = p.get("nodes").get(0);
        assertThat(fieldNames(node)).containsExactly("name", "qkdn_id", "location", "status", "agent_connected");
        assertThat(fieldNames(node.get("location"))).containsExactly("latitude_deg", "longitude_deg", "region");
        assertThat(node.get("location").get("latitude_deg").isNumber()).isTrue();
        assertThat(node.get("agent_connected").isBoolean()).isTrue();
        assertThat(p.get("nodes").get(1).get("location").isNull()).isTrue();

        JsonNode link = p.get("links").get(0);
        assertThat(fieldNames(link)).containsExactly("name", "qkdl_id", "a", "b", "length_km", "status", "degraded",
                "skr_bps", "qber", "key_volume_bits", "measured_at");
        assertThat(link.get("length_km").isNumber()).isTrue();
        assertThat(link.get("status").asText()).isEqualTo("ACTIVE");
        assertThat(link.get("degraded").isBoolean()).isTrue();
        assertThat(link.get("skr_bps").isNumber()).isTrue();
        assertThat(link.get("qber").asDouble()).isEqualTo(0.0152);
        assertThat(link.get("key_volume_bits").isIntegralNumber()).isTrue();
        assertThat(link.get("measured_at").isTextual()).isTrue();

        // Unknown figures are explicit nulls, never missing keys and never zeros.
        JsonNode unknown = p.get("links").get(1);
        assertThat(fieldNames(unknown)).hasSize(11);
        for (String f : List.of("length_km", "skr_bps", "qber", "key_volume_bits", "measured_at")) {
            assertThat(unknown.get(f).isNull()).as(f).isTrue();
        }
    }

    @Test
    void roundTrips() throws Exception {
        TestbedReport r = sampleReport();
        assertThat(ReportWriter.mapper().readValue(ReportWriter.toJson(r), TestbedReport.class)).isEqualTo(r);
    }

    private static List<String> fieldNames(JsonNode n) {
        List<String> names = new java.util.ArrayList<>();
        n.fieldNames().forEachRemaining(names::add);
        return names;
    }
}

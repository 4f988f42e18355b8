package org.qkdnf.testbed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioLoader;
import picocli.CommandLine;

/**
 * {@code qkdnf run --duration N --report FILE} on the default scenario, end to end: controller and
 * one agent per node over mTLS on loopback, the report written from what the controller saw.
 */
class RunDefaultScenarioTest {

    @Test
    void defaultScenarioConvergesAndTheReportShowsEveryLinkWithItsKeyRate(@TempDir Path dir) throws Exception {
        Path report = dir.resolve("r.json");
        StringWriter out = new StringWriter();
        CommandLine cmd = QkdnfMain.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(new StringWriter(), true));
        int code = cmd.execute("run", "--duration", "10", "--report", report.toString(),
                "--run-dir", dir.resolve("run").toString(), "--view", "plain");
        assertThat(code).as(out.toString()).isZero();

        JsonNode r = new ObjectMapper().readTree(report.toFile());
        JsonNode provider = r.get("providers").get(0);
        // The scenario's clock starts with the agents, so on a loaded machine the set-up alone can
        // outlast the 10 s and the report falls after the scheduled cut: the links with faults are
        // checked only while none of the scenario's cuts is due yet.
        Scenario scenario = ScenarioLoader.loadDefault();
        double firstCutS = scenario.providers().stream().flatMap(p -> p.links().stream())
                .flatMap(l -> l.eventsOrEmpty().stream())
                .filter(e -> e.type() == Scenario.EventType.CUT).mapToDouble(Scenario.LinkEvent::atS)
                .min().orElse(Double.MAX_VALUE);
        boolean beforeFaults = r.get("duration_s").asDouble() < firstCutS;
        java.util.Set<String> faulty = new java.util.HashSet<>();
        scenario.providers().forEach(p -> p.links().stream().filter(l -> !l.eventsOrEmpty().isEmpty())
                .forEach(l -> faulty.add(l.name())));
        assertThat(faulty).as("the default scenario schedules faults").isNotEmpty();
        assertThat(provider.get("nodes")).hasSizeGreaterThanOrEqualTo(12);
        assertThat(provider.get("links")).hasSizeGreaterThanOrEqualTo(16);
        double lowest = Double.MAX_VALUE;
        double highest = 0;
        for (JsonNode n : provider.get("nodes")) {
            assertThat(n.get("status").asText()).as(n.get("name").asText()).isEqualTo("OPERATING");
        }
        for (JsonNode l : provider.get("links")) {
            if (!beforeFaults && faulty.contains(l.get("name").asText())) {
                continue;
            }
            assertThat(l.get("status").asText()).as(l.get("name").asText()).isEqualTo("ACTIVE");
            assertThat(l.get("qber").asDouble()).isBetween(0.01, 0.11);
            lowest = Math.min(lowest, l.get("skr_bps").asDouble());
            highest = Math.max(highest, l.get("skr_bps").asDouble());
        }
        // Metro links in the Mbit/s, the long lossy span orders of magnitude below.
        assertThat(highest).isGreaterThan(5e6);
        assertThat(lowest).isPositive().isLessThan(highest / 100);

        // Key management: every pool is filling from its link, and no SAE pair ever saw two keys differ.
        // Every service is a request the controller routed: one three hops long, one 1+1 with its disjoint route.
        assertThat(provider.get("key_services")).hasSize(4);
        int longest = 0;
        boolean protectedPair = false;
        for (JsonNode ks : provider.get("key_services")) {
            String name = ks.get("name").asText();
            assertThat(ks.get("mismatches").asLong()).as(name).isZero();
            assertThat(ks.get("routing").asText()).as(name).isNotEqualTo("PINNED");
            assertThat(ks.get("state").asText()).as(name).isEqualTo("ACTIVE");
            assertThat(ks.get("reserved_bps").asLong()).as(name).isPositive();
            longest = Math.max(longest, ks.get("route").size() - 1);
            protectedPair |= "ONE_PLUS_ONE".equals(ks.get("routing").asText()) && ks.get("protection_route").size() >= 2;
        }
        assertThat(longest).as("hops of the longest service route").isGreaterThanOrEqualTo(3);
        assertThat(protectedPair).as("a 1+1 service with two routes").isTrue();
        JsonNode pools = provider.get("key_management").get("pools");
        assertThat(pools).hasSize(2 * provider.get("links").size());
        long filling = 0;
        for (JsonNode p : pools) {
            filling += p.get("available_bits").asLong() > 0 ? 1 : 0;
        }
        assertThat(filling).as("pools holding key").isGreaterThanOrEqualTo(pools.size() / 2);
    }
}

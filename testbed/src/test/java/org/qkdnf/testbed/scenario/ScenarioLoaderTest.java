package org.qkdnf.testbed.scenario;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import org.junit.jupiter.api.Test;
import org.qkdnf.testbed.scenario.Scenario.Link;
import org.qkdnf.testbed.scenario.Scenario.LinkParameters;
import org.qkdnf.testbed.scenario.Scenario.Provider;

class ScenarioLoaderTest {

    /** A valid two-node scenario; tests break one line of it at a time. Line numbers matter. */
    private static final String VALID = String.join("\n",
            "name: tiny",                                       // 1
            "providers:",                                       // 2
            "  - provider_id: p1",                              // 3
            "    link_defaults:",                               // 4
            "      loss_db_per_km: 0.2",                        // 5
            "      detector: {efficiency: 0.2, dark_count_probability: 1.0e-6}", // 6
            "      misalignment_error: 0.01",                   // 7
            "      pulse_rate_hz: 1.0e9",                       // 8
            "    nodes:",                                       // 9
            "      - name: A",                                  // 10
            "        location: {latitude_deg: 52.5, longitude_deg: 13.4, region: X}", // 11
            "      - name: B",                                  // 12
            "        location: {latitude_deg: 52.4, longitude_deg: 13.5}", // 13
            "    links:",                                       // 14
            "      - name: A--B",                               // 15
            "        a: A",                                     // 16
            "        b: B",                                     // 17
            "        length_km: 12",                            // 18
            "        events:",                                  // 19
            "          - {at_s: 3, type: CUT}",                 // 20
            "");

    @Test
    void defaultScenarioIsValidAndRealistic() throws Exception {
        Scenario s = ScenarioLoader.loadDefault();
        assertThat(s.nodeCount()).isGreaterThanOrEqualTo(12);
        assertThat(s.linkCount()).isGreaterThanOrEqualTo(16);
        int longLossy = 0;
        boolean cut = false;
        boolean degrade = false;
        for (Provider p : s.providers()) {
            for (Link l : p.links()) {
                assertThat(l.lengthKm()).as(l.name()).isBetween(5.0, 100.0);
                LinkParameters lp = p.parameters(l);
                // >= 25 dB of fibre loss puts decoy-state BB84 orders of magnitude below the metro links.
                if (l.lengthKm() * lp.lossDbPerKm() >= 25) {
                    longLossy++;
                }
                cut |= l.eventsOrEmpty().stream().anyMatch(e -> e.type() == Scenario.EventType.CUT);
                degrade |= l.eventsOrEmpty().stream().anyMatch(e -> e.type() == Scenario.EventType.DEGRADE);
            }
        }
        assertThat(longLossy).isGreaterThanOrEqualTo(1);
        assertThat(cut).isTrue();
        assertThat(degrade).isTrue();
        // Key services are requests (issue 4), one of them 1+1; routes are the controller's job.
        List<Scenario.KeyService> services = s.providers().get(0).keyServicesOrEmpty();
        assertThat(services).isNotEmpty().noneMatch(Scenario.KeyService::pinned);
        assertThat(services).anyMatch(k -> "ONE_PLUS_ONE".equals(k.effectiveProtection()));
    }

    @Test
    void validScenarioBindsEveryField() throws Exception {
        Scenario s = ScenarioLoader.parse("tiny.yaml", VALID);
        Provider p = s.providers().get(0);
        assertThat(s.name()).isEqualTo("tiny");
        assertThat(s.effectiveReportIntervalMs()).isEqualTo(Scenario.DEFAULT_REPORT_INTERVAL_MS);
        assertThat(p.node("A").location().region()).isEqualTo("X");
        Link l = p.links().get(0);
        assertThat(p.parameters(l)).isEqualTo(new LinkParameters(0.2, 0.2, 1.0e-6, 0.01, 1.0e9));
        assertThat(l.events()).singleElement().satisfies(e -> {
            assertThat(e.atS()).isEqualTo(3.0);
            assertThat(e.type()).isEqualTo(Scenario.EventType.CUT);
        });
    }

    @Test
    void idsAreDeterministicAndDistinct() {
        assertThat(ScenarioIds.nodeId("p1", "A")).isEqualTo(ScenarioIds.nodeId("p1", "A"))
                .isNotEqualTo(ScenarioIds.nodeId("p2", "A"))
                .isNotEqualTo(ScenarioIds.linkId("p1", "A"))
                .matches("[0-9a-f-]{36}");
        assertThat(ScenarioIds.interfaceId("p1", "A", "A--B")).isNotEqualTo(ScenarioIds.interfaceId("p1", "B", "A--B"));
    }

    @Test
    void badTypeNamesLineAndField() {
        assertError(VALID.replace("length_km: 12", "length_km: twelve"),
                "tiny.yaml line 18: providers[0].links[0].length_km: expected a number, got 'twelve'");
    }

    @Test
    void quotedNumberIsABadType() {
        assertError(VALID.replace("length_km: 12", "length_km: \"12\""),
                "line 18: providers[0].links[0].length_km: expected a number");
    }

    @Test
    void badEnumListsTheChoices() {
        assertError(VALID.replace("type: CUT", "type: EXPLODE"),
                "line 20: providers[0].links[0].events[0].type: must be one of CUT, REPAIR, DEGRADE, got 'EXPLODE'");
    }

    @Test
    void missingFieldNamesTheObjectLine() {
        assertError(VALID.replace("        length_km: 12\n", ""),
                "line 15: providers[0].links[0].length_km: missing field");
    }

    @Test
    void missingLocation() {
        assertError(VALID.replace("        location: {latitude_deg: 52.4, longitude_deg: 13.5}\n", ""),
                "line 12: providers[0].nodes[1].location: missing field");
    }

    @Test
    void missingParameterWithoutDefaultSaysWhereToPutIt() {
        assertError(VALID.replace("      loss_db_per_km: 0.2\n", ""),
                "line 14: providers[0].links[0].loss_db_per_km: missing field (give it here or in "
                        + "providers[0].link_defaults)");
    }

    @Test
    void unknownFieldIsAnError() {
        assertError(VALID.replace("        a: A\n", "        a: A\n        colour: blue\n"),
                "line 17: providers[0].links[0].colour: unknown field (expected one of:");
    }

    @Test
    void linkToUnknownNode() {
        assertError(VALID.replace("        b: B", "        b: C"),
                "line 17: providers[0].links[0].b: unknown node 'C' (not in this provider's nodes)");
    }

    @Test
    void linkToItself() {
        assertError(VALID.replace("        b: B", "        b: A"),
                "line 17: providers[0].links[0].b: a link needs two different nodes");
    }

    @Test
    void duplicateNodeName() {
        assertError(VALID.replace("      - name: B", "      - name: A").replace("b: B", "b: A"),
                "line 12: providers[0].nodes[1].name: duplicate node name 'A'");
    }

    @Test
    void duplicateKeyIsAnError() {
        assertError(VALID.replace("        a: A\n", "        a: A\n        a: B\n"),
                "line 17: YAML syntax error: Duplicate field 'a'");
    }

    @Test
    void outOfRangeValues() {
        ScenarioException e = parseFailing(VALID.replace("length_km: 12", "length_km: -5")
                .replace("latitude_deg: 52.4", "latitude_deg: 152.4")
                .replace("{at_s: 3, type: CUT}", "{at_s: 3, type: CUT, extra_loss_db_per_hour: 2}")
                .replace("pulse_rate_hz: 1.0e9", "pulse_rate_hz: 1.0e13"));
        assertThat(e.problems()).extracting(ScenarioException.Problem::toString).containsExactly(
                "tiny.yaml line 8: providers[0].link_defaults.pulse_rate_hz: must be between 1000 and 1.0E11 Hz, got 1.0E13",
                "tiny.yaml line 13: providers[0].nodes[1].location.latitude_deg: must be between -90 and 90°, got 152.4",
                "tiny.yaml line 18: providers[0].links[0].length_km: must be between 0.1 and 500 km, got -5",
                "tiny.yaml line 20: providers[0].links[0].events[0].extra_loss_db_per_hour: only a DEGRADE event takes "
                        + "extra_loss_db_per_hour");
    }

    @Test
    void degradeNeedsARate() {
        assertError(VALID.replace("type: CUT", "type: DEGRADE"),
                "line 20: providers[0].links[0].events[0].extra_loss_db_per_hour: missing field");
    }

    @Test
    void badNameAndWrongShape() {
        assertError(VALID.replace("- name: A--B", "- name: \"A B\""),
                "line 15: providers[0].links[0].name: must be 1-63 letters");
        assertError(VALID.replace("        location: {latitude_deg: 52.4, longitude_deg: 13.5}",
                "        location: Berlin"), "line 13: providers[0].nodes[1].location: expected a mapping of fields");
        assertError(VALID.replace("- name: B", "- name: 7"), "line 12: providers[0].nodes[1].name: expected a text value");
    }

    @Test
    void emptyAndSyntacticallyBrokenFiles() {
        assertError("", "tiny.yaml: the file is empty");
        assertError("name: x\nproviders: [\n", "tiny.yaml line 3: YAML syntax error");
        assertError("name: x\n", "tiny.yaml line 1: providers: missing field");
    }

    @Test
    void everyProblemIsReportedOnce() {
        ScenarioException e = parseFailing(VALID.replace("b: B", "b: C").replace("length_km: 12", "length_km: 0"));
        Set<String> paths = new HashSet<>();
        e.problems().forEach(p -> assertThat(paths.add(p.path())).as(p.toString()).isTrue());
        assertThat(paths).containsExactlyInAnyOrder("providers[0].links[0].b", "providers[0].links[0].length_km");
    }

    private static void assertError(String yaml, String expected) {
        ScenarioException e = parseFailing(yaml);
        List<String> lines = e.problems().stream().map(ScenarioException.Problem::toString).toList();
        assertThat(lines).as(e.getMessage()).anySatisfy(l -> assertThat(l).contains(expected));
    }

    private static ScenarioException parseFailing(String yaml) {
        try {
            ScenarioLoader.parse("tiny.yaml", yaml);
        } catch (ScenarioException e) {
            return e;
        }
        throw new AssertionError("accepted:\n" + yaml);
    }
}

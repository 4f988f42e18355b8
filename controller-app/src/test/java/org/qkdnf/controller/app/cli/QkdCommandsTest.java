package org.qkdnf.controller.app.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.app.testing.SampleTopology.A;
import static org.qkdnf.controller.app.testing.SampleTopology.AB;
import static org.qkdnf.controller.app.testing.SampleTopology.B;
import static org.qkdnf.controller.app.testing.SampleTopology.BC;
import static org.qkdnf.controller.app.testing.SampleTopology.C;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.apache.karaf.shell.api.action.Command;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.controller.app.testing.SampleTopology;
import org.qkdnf.controller.impl.QkdTopologyManager;

class QkdCommandsTest {

    private final QkdTopologyManager topology = SampleTopology.create();

    @AfterEach
    void tearDown() {
        topology.close();
    }

    @Test
    void commandsAreNamedAsDocumented() {
        assertThat(QkdNodesCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-nodes");
        assertThat(QkdLinksCommand.class.getAnnotation(Command.class).name()).isEqualTo("qkd-links");
        assertThat(QkdNodesCommand.class.getAnnotation(Command.class).scope()).isEqualTo("onos");
    }

    @Test
    void qkdNodesListsEveryNodeInIdOrder() {
        CommandOutput o = CommandOutput.capture(() -> new QkdNodesCommand().list(topology));
        String[] lines = o.out.split("\n");
        assertThat(lines).hasSize(3);
        assertThat(lines[0]).startsWith("qkdnId=" + A + ", name=node-a0000000, status=OPERATING, agent=connected, "
                + "interfaces=1, links=1, lastSeen=");
        assertThat(lines[1]).startsWith("qkdnId=" + B).contains("interfaces=2, links=2");
        assertThat(lines[2]).startsWith("qkdnId=" + C).contains("agent=disconnected");
    }

    @Test
    void qkdNodesWithAnUnknownIdSaysSoOnStderr() {
        QkdNodesCommand cmd = new QkdNodesCommand();
        cmd.qkdnId = "d0000000-0000-4000-8000-00000000000d";
        CommandOutput o = CommandOutput.capture(() -> cmd.list(topology));
        assertThat(o.out).isEmpty();
        assertThat(o.err).contains("No QKD node d0000000-0000-4000-8000-00000000000d");
    }

    @Test
    void qkdNodesJson() throws Exception {
        QkdNodesCommand cmd = new QkdNodesCommand();
        cmd.qkdnId = B;
        CommandOutput.json(cmd);
        JsonNode json = new ObjectMapper().readTree(CommandOutput.capture(() -> cmd.list(topology)).out);
        assertThat(json.get("nodes")).hasSize(1);
        JsonNode b = json.get("nodes").get(0);
        assertThat(b.get("qkdn_id").asText()).isEqualTo(B);
        assertThat(b.get("qkd_links").get(0).asText()).isEqualTo(AB);
        assertThat(b.get("qkd_interfaces")).hasSize(2);
    }

    @Test
    void qkdLinksShowsMergedStatusDegradationAndFigures() {
        CommandOutput o = CommandOutput.capture(() -> new QkdLinksCommand().list(topology));
        String[] lines = o.out.split("\n");
        assertThat(lines).containsExactly(
                "qkdlId=" + AB + ", type=PHYS, status=ACTIVE (degraded), ends=" + A + "<->" + B
                        + ", skr=1500.0 bit/s, qber=0.09",
                "qkdlId=" + BC + ", type=PHYS, status=PENDING, ends=" + B + "<->" + C + ", skr=-, qber=-");
    }

    @Test
    void qkdLinksOfOneNode() {
        QkdLinksCommand cmd = new QkdLinksCommand();
        cmd.qkdnId = C;
        CommandOutput o = CommandOutput.capture(() -> cmd.list(topology));
        assertThat(o.out.split("\n")).hasSize(1).allMatch(l -> l.startsWith("qkdlId=" + BC));
    }

    @Test
    void qkdLinksJson() throws Exception {
        QkdLinksCommand cmd = new QkdLinksCommand();
        CommandOutput.json(cmd);
        JsonNode json = new ObjectMapper().readTree(CommandOutput.capture(() -> cmd.list(topology)).out);
        JsonNode ab = json.get("links").get(0);
        assertThat(ab.get("qkdl_id").asText()).isEqualTo(AB);
        assertThat(ab.get("qkdl_status").asText()).isEqualTo("ACTIVE");
        assertThat(ab.get("degraded").asBoolean()).isTrue();
        assertThat(ab.get("performance").get("skr").asDouble()).isEqualTo(1500.0);
        assertThat(ab.get("ends").get(1).get("qkdn_id").asText()).isEqualTo(B);
        JsonNode bc = json.get("links").get(1);
        assertThat(bc.get("performance").isNull()).isTrue();
        assertThat(bc.get("ends").get(1).get("reported").asBoolean()).isFalse();
    }
}

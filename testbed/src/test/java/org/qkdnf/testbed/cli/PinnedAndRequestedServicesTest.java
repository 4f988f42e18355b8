package org.qkdnf.testbed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * A route pinned by the operator ({@code route:}) still works beside a requested service: the
 * pinned one runs on exactly its route without admission, the request on the controller's route
 * with its rate reserved, and both SAE pairs get identical keys.
 */
class PinnedAndRequestedServicesTest {

    @Test
    void pinnedRouteIsInstalledAsWrittenAndTheRequestIsRoutedByTheController(@TempDir Path dir) throws Exception {
        Path scenario = dir.resolve("pinned-and-requested.yaml");
        try (var in = getClass().getResourceAsStream("pinned-and-requested.yaml")) {
            Files.copy(in, scenario);
        }
        Path report = dir.resolve("r.json");
        StringWriter out = new StringWriter();
        CommandLine cmd = QkdnfMain.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(new StringWriter(), true));
        int code = cmd.execute("run", scenario.toString(), "--duration", "10", "--report", report.toString(),
                "--run-dir", dir.resolve("run").toString(), "--view", "none");
        assertThat(code).as(out.toString()).isZero();

        JsonNode services = new ObjectMapper().readTree(report.toFile()).get("providers").get(0).get("key_services");
        assertThat(services).hasSize(2);
        JsonNode pinned = services.get(0);
        assertThat(pinned.get("routing").asText()).isEqualTo("PINNED");
        assertThat(pinned.get("route")).extracting(JsonNode::asText).containsExactly("A", "B", "C");
        assertThat(pinned.get("reserved_bps").asLong()).isZero();
        JsonNode requested = services.get(1);
        assertThat(requested.get("routing").asText()).isEqualTo("NONE");
        assertThat(requested.get("state").asText()).isEqualTo("ACTIVE");
        assertThat(requested.get("route")).extracting(JsonNode::asText).containsExactly("C", "B", "A");
        assertThat(requested.get("reserved_bps").asLong()).isPositive();
        for (JsonNode s : List.of(pinned, requested)) {
            assertThat(s.get("keys_delivered").asLong()).as(s.get("name").asText()).isPositive();
            assertThat(s.get("mismatches").asLong()).as(s.get("name").asText()).isZero();
        }
    }
}

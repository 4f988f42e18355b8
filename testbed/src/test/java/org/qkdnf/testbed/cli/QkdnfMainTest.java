package org.qkdnf.testbed.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/** The command line's answers that need no network: help, bad usage, malformed scenarios. */
class QkdnfMainTest {

    private final StringWriter out = new StringWriter();
    private final StringWriter err = new StringWriter();

    private int run(String... args) {
        CommandLine cmd = QkdnfMain.commandLine();
        cmd.setOut(new PrintWriter(out, true));
        cmd.setErr(new PrintWriter(err, true));
        return cmd.execute(args);
    }

    @Test
    void helpDescribesRun() {
        assertThat(run("run", "--help")).isZero();
        assertThat(out.toString()).contains("SCENARIO", "--duration", "--report", "--run-dir", "Exit codes");
    }

    @Test
    void malformedScenarioExitsWithTwoNamingLineAndField(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "name: x\nproviders:\n  - provider_id: p\n    nodes: []\n    links: []\n    colour: red\n");
        Path runDir = dir.resolve("run");
        assertThat(run("run", file.toString(), "--run-dir", runDir.toString())).isEqualTo(2);
        assertThat(err.toString())
                .contains("bad.yaml line 6: providers[0].colour: unknown field");
        assertThat(runDir).doesNotExist();
    }

    @Test
    void missingScenarioFileAndBadDuration(@TempDir Path dir) {
        assertThat(run("run", dir.resolve("nope.yaml").toString())).isEqualTo(2);
        assertThat(err.toString()).contains("scenario file not found");
        assertThat(run("run", "--duration", "0")).isEqualTo(2);
        assertThat(err.toString()).contains("--duration: must be a positive number of seconds, got 0");
        assertThat(run("run", "--duration", "ten")).isEqualTo(2);
    }

    @Test
    void nonEmptyRunDirectoryIsRefused(@TempDir Path dir) throws Exception {
        Files.writeString(dir.resolve("something"), "x");
        assertThat(run("run", "--run-dir", dir.toString(), "--duration", "1")).isEqualTo(2);
        assertThat(err.toString()).contains("is not empty");
    }
}

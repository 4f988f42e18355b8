package org.qkdnf.testbed.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;

import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioException;
import org.qkdnf.testbed.scenario.ScenarioLoader;
import org.qkdnf.testbed.run.RunDirectory;
import org.qkdnf.testbed.run.RunLoop;
import org.qkdnf.testbed.view.LiveView;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code qkdnf run [SCENARIO] [--duration S] [--report FILE] [--run-dir DIR]}. */
@Command(name = "run", mixinStandardHelpOptions = true,
        description = {
            "Runs a scenario: a development CA, one controller per provider and one qkd-agent per node,",
            "all over mutual TLS on 127.0.0.1, and shows each link's status, secret key rate and QBER live.",
            "Without SCENARIO it runs the embedded default (Berlin-Frankfurt metro rings and long-haul",
            "backbone, 16 nodes, 18 links, a fibre cut and a degradation). Stops on Ctrl-C or after",
            "--duration, then writes the report (what the controllers see) to <run-dir>/report.json and",
            "to --report FILE."},
        footer = {"", "Exit codes: 0 done, 1 the run failed, 2 bad usage or a malformed scenario."})
final class RunCommand implements Callable<Integer> {

    @Parameters(index = "0", arity = "0..1", paramLabel = "SCENARIO",
            description = "Scenario file (YAML; format in testbed/README.md). Default: the embedded scenario.")
    Path scenarioFile;

    @Option(names = "--duration", paramLabel = "SECONDS",
            description = "Stop after this many seconds (default: run until Ctrl-C).")
    Long durationS;

    @Option(names = "--report", paramLabel = "FILE", description = "Also write the JSON report to FILE.")
    Path report;

    @Option(names = "--run-dir", paramLabel = "DIR",
            description = "New or empty directory for certificates, controller data, log and report "
                    + "(default: testbed-run/<scenario>-<UTC time>).")
    Path runDir;

    @Option(names = "--view", paramLabel = "MODE", defaultValue = "auto",
            description = "Live view: auto (table on a terminal, summary lines otherwise), table, plain, none.")
    String view;

    @Option(names = "--converge-timeout", paramLabel = "SECONDS", defaultValue = "30",
            description = "How long to wait for every agent to connect and every link to report (default 30).")
    long convergeTimeoutS;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (durationS != null && durationS <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--duration: must be a positive number of seconds, got " + durationS);
        }
        if (convergeTimeoutS <= 0) {
            throw new CommandLine.ParameterException(spec.commandLine(),
                    "--converge-timeout: must be a positive number of seconds, got " + convergeTimeoutS);
        }
        LiveView.Mode mode = switch (view) {
            case "auto" -> LiveView.Mode.auto();
            case "table" -> LiveView.Mode.TABLE;
            case "plain" -> LiveView.Mode.PLAIN;
            case "none" -> LiveView.Mode.NONE;
            default -> throw new CommandLine.ParameterException(spec.commandLine(),
                    "--view: must be auto, table, plain or none, got '" + view + "'");
        };
        Scenario scenario;
        String yaml;
        try {
            if (scenarioFile == null) {
                yaml = ScenarioLoader.readResource(ScenarioLoader.DEFAULT_SCENARIO);
                scenario = ScenarioLoader.parse("default.yaml", yaml);
            } else {
                if (!Files.isRegularFile(scenarioFile)) {
                    err.println("qkdnf: scenario file not found: " + scenarioFile);
                    return 2;
                }
                yaml = Files.readString(scenarioFile, StandardCharsets.UTF_8);
                scenario = ScenarioLoader.parse(scenarioFile.getFileName().toString(), yaml);
            }
        } catch (ScenarioException e) {
            err.println("qkdnf: the scenario is not valid:");
            e.problems().forEach(p -> err.println("  " + p));
            return 2;
        }
        RunDirectory dir;
        try {
            dir = runDir == null ? RunDirectory.createDefault(scenario.name()) : RunDirectory.create(runDir);
        } catch (IOException e) {
            err.println("qkdnf: " + e.getMessage());
            return 2;
        }
        Files.writeString(dir.scenarioFile(), yaml, StandardCharsets.UTF_8);
        // Logging goes to the run directory before any logger exists, so the live view stays clean.
        Logging.toFile(dir.logFile());
        Duration duration = durationS == null ? null : Duration.ofSeconds(durationS);
        return new RunLoop(scenario, dir, mode, duration, report, Duration.ofSeconds(convergeTimeoutS), out, err)
                .run();
    }
}

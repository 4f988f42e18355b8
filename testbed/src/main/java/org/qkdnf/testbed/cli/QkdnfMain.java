package org.qkdnf.testbed.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * {@code qkdnf}: the suite's command line (the root script {@code ./qkdnf} runs this jar).
 * Exit codes: 0 done, 1 the run failed, 2 bad usage or a malformed scenario.
 */
@Command(name = "qkdnf", mixinStandardHelpOptions = true, version = "qkdnf 0.1.0",
        description = "QKDN federation suite: runs QKD networks on simulated hardware.",
        subcommands = {RunCommand.class, CommandLine.HelpCommand.class})
public final class QkdnfMain implements Runnable {

    @CommandLine.Spec
    private CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The configured command line (tests call {@code execute} on it). */
    public static CommandLine commandLine() {
        return new CommandLine(new QkdnfMain());
    }

    @Override
    public void run() {
        throw new CommandLine.ParameterException(spec.commandLine(), "missing command; try 'qkdnf run --help'");
    }
}

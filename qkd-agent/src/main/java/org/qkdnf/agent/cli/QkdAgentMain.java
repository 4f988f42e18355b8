package org.qkdnf.agent.cli;

import java.nio.file.Path;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.config.AgentConfigLoader;
import org.qkdnf.common.config.ConfigException;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.agent.sim.KeySeed;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code qkd-agent --config agent.yaml}: runs the agent of one SD-QKD node until SIGTERM/SIGINT.
 * Prints {@code HEALTH_PORT=<port>} once the health service listens (useful with port 0).
 * {@code qkd-agent seed} prints a fresh link key seed for the two ends' configurations.
 */
@Command(name = "qkd-agent", mixinStandardHelpOptions = true, version = "qkd-agent 0.1.0",
        description = "SDN agent of one SD-QKD node: simulated QKD modules, Sq to the controller over mTLS.",
        subcommands = QkdAgentMain.Seed.class)
public final class QkdAgentMain implements Callable<Integer> {

    // Not "required" for picocli: the seed subcommand runs without it.
    @Option(names = "--config", paramLabel = "FILE", description = "agent configuration (YAML), required to run")
    Path config;

    @picocli.CommandLine.Spec
    picocli.CommandLine.Model.CommandSpec spec;

    public static void main(String[] args) {
        System.exit(new CommandLine(new QkdAgentMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (config == null) {
            throw new picocli.CommandLine.ParameterException(spec.commandLine(), "Missing required option: '--config=FILE'");
        }
        AgentConfig cfg;
        try {
            cfg = AgentConfigLoader.load(config);
        } catch (ConfigException e) {
            System.err.println("qkd-agent: " + e.getMessage());
            return 2;
        }
        QkdAgent agent = QkdAgent.start(cfg, Clock.systemUTC());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            agent.close();
            stopped.countDown();
        }, "qkd-agent-shutdown"));
        if (agent.healthPort() >= 0) {
            System.out.println("HEALTH_PORT=" + agent.healthPort());
        }
        System.out.println("qkd-agent of node " + cfg.node().name() + " (" + cfg.node().qkdnId() + ") running, "
                + "controller " + cfg.controllerTarget());
        System.out.flush();
        stopped.await();
        return 0;
    }

    /** Prints 32 random bytes in hex: a key seed shared by the two ends of one simulated link. */
    @Command(name = "seed", mixinStandardHelpOptions = true,
            description = "Print a new random link key seed (64 hex digits) for key_seed_file.")
    static final class Seed implements Callable<Integer> {
        @Override
        public Integer call() {
            System.out.println(KeySeed.random().toHex());
            return 0;
        }
    }
}

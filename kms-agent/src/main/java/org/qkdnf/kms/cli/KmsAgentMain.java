package org.qkdnf.kms.cli;

import java.io.IOException;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.common.config.ConfigException;
import org.qkdnf.kms.config.KmsConfig;
import org.qkdnf.kms.config.KmsConfigLoader;
import org.qkdnf.kms.relay.RelayNeighbor;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code kms-agent --config kms.yaml}: runs the key manager of one trusted node until
 * SIGTERM/SIGINT. Once every listener is up it prints {@code CONTROL_PORT=}, {@code RELAY_PORT=}
 * and {@code ETSI014_PORT=} lines on standard output (useful with port 0); logs go to standard
 * error. A bad configuration exits with 2 and a message naming the line or field; a key manager
 * that cannot start (a port in use, an unreadable store) exits with 1.
 *
 * <p>Exit status on SIGTERM is 143 (128 + 15): the JVM runs the shutdown hook, which closes the
 * key manager (listeners first, then the stores), and exits with the signal's conventional status.
 */
@Command(name = "kms-agent", mixinStandardHelpOptions = true, version = "kms-agent 0.1.0",
        description = "Key manager of one trusted node: key pools (Kq), key relay (Kk), ETSI GS QKD 014 for SAEs.")
public final class KmsAgentMain implements Callable<Integer> {

    @Option(names = "--config", paramLabel = "FILE", required = true, description = "key manager configuration (YAML)")
    Path config;

    public static void main(String[] args) {
        System.exit(new CommandLine(new KmsAgentMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        KmsConfig cfg;
        try {
            cfg = KmsConfigLoader.load(config);
        } catch (ConfigException e) {
            System.err.println("kms-agent: " + e.getMessage());
            return 2;
        }
        KmsAgent kms;
        try {
            kms = KmsAgent.start(cfg.agent());
        } catch (IOException | RuntimeException e) {
            // A port in use, an unreadable store or key file: one line, not a stack trace.
            System.err.println("kms-agent: cannot start the key manager of node " + cfg.agent().qkdnId() + ": " + e);
            return 1;
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            kms.close();
            stopped.countDown();
        }, "kms-agent-shutdown"));
        for (RelayNeighbor n : cfg.neighbors()) {
            kms.addNeighbor(n);
        }
        for (KmsConfig.Peer p : cfg.peers()) {
            kms.addPeer(p.qkdnId(), p.controlTarget());
        }
        // Operator-pinned services: install replaces a stored definition of the same id, so a
        // restart with an edited file takes the new route; key already relayed stays.
        for (KeyServiceDefinition d : cfg.keyServices()) {
            kms.services().install(d);
        }
        System.out.println("CONTROL_PORT=" + kms.controlPort());
        System.out.println("RELAY_PORT=" + kms.relayPort());
        System.out.println("ETSI014_PORT=" + kms.etsi014Port());
        System.out.println("kms-agent of node " + cfg.agent().qkdnId() + " (" + cfg.agent().kmeId() + ") running, "
                + cfg.neighbors().size() + " neighbours, " + cfg.keyServices().size() + " key services");
        System.out.flush();
        stopped.await();
        return 0;
    }
}

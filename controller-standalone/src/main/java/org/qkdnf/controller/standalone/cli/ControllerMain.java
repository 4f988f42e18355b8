package org.qkdnf.controller.standalone.cli;

import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;

import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code qkdnf-controller}: runs a standalone QKDN controller until SIGTERM/SIGINT. Prints
 * {@code SQ_PORT=<port>} on stdout once the Sq server is listening, for scripts and test harnesses.
 */
@Command(name = "qkdnf-controller", mixinStandardHelpOptions = true,
        description = "Standalone QKDN controller: Sq gRPC server (mTLS), health, reflection, durable topology.")
public final class ControllerMain implements Callable<Integer> {

    @Option(names = "--sq-host", defaultValue = "127.0.0.1", description = "address to bind (default: ${DEFAULT-VALUE})")
    String sqHost;

    @Option(names = "--sq-port", defaultValue = "0", description = "port to bind, 0 = any free port (default: ${DEFAULT-VALUE})")
    int sqPort;

    @Option(names = "--tls-cert", required = true, description = "controller certificate chain (PEM)")
    Path tlsCert;

    @Option(names = "--tls-key", required = true, description = "controller private key (PKCS#8 PEM)")
    Path tlsKey;

    @Option(names = "--tls-ca", required = true, description = "CA certificate(s) that sign agents' certificates (PEM)")
    Path tlsCa;

    @Option(names = "--data-dir", required = true, description = "directory of the embedded database")
    Path dataDir;

    @Option(names = "--qber-threshold", description = "QBER above which an active link is degraded, in (0, 0.5]; "
            + "default: the stored value, else 0.08")
    Double qberThreshold;

    @Option(names = "--command-timeout-ms", description = "default command timeout, ms; default: stored, else 10000")
    Long commandTimeoutMs;

    @Option(names = "--report-interval-ms", description = "report interval asked of agents, ms (0 = theirs); "
            + "default: stored, else 0")
    Integer reportIntervalMs;

    @Option(names = "--controller-id", defaultValue = "qkdnf-controller", description = "id sent to agents")
    String controllerId;

    @Override
    public Integer call() throws Exception {
        StandaloneControllerConfig.Builder b = StandaloneControllerConfig.builder()
                .sqHost(sqHost).sqPort(sqPort)
                .tls(new TlsFiles(tlsCert, tlsKey, tlsCa).requireReadable())
                .dataDir(dataDir).controllerId(controllerId);
        if (qberThreshold != null) {
            b.qberDegradedThreshold(qberThreshold);
        }
        if (commandTimeoutMs != null) {
            b.commandTimeout(Duration.ofMillis(commandTimeoutMs));
        }
        if (reportIntervalMs != null) {
            b.reportIntervalMs(reportIntervalMs);
        }
        StandaloneController controller = StandaloneController.start(b.build());
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            controller.close();
            stopped.countDown();
        }, "controller-shutdown"));
        System.out.println("SQ_PORT=" + controller.sqPort());
        System.out.flush();
        stopped.await();
        return 0;
    }

    public static void main(String[] args) {
        // slf4j-simple defaults for the runnable jar, before any logger exists; -D flags win.
        System.setProperty("org.slf4j.simpleLogger.showDateTime",
                System.getProperty("org.slf4j.simpleLogger.showDateTime", "true"));
        System.setProperty("org.slf4j.simpleLogger.dateTimeFormat",
                System.getProperty("org.slf4j.simpleLogger.dateTimeFormat", "yyyy-MM-dd'T'HH:mm:ss.SSSX"));
        System.setProperty("org.slf4j.simpleLogger.log.io.grpc.netty",
                System.getProperty("org.slf4j.simpleLogger.log.io.grpc.netty", "warn"));
        CommandLine cl = new CommandLine(new ControllerMain());
        // Bad flags (and invalid values, which the builder rejects naming the field) exit with 2.
        cl.setExecutionExceptionHandler((e, cmd, parsed) -> {
            if (e instanceof IllegalArgumentException) {
                cmd.getErr().println("error: " + e.getMessage());
                return 2;
            }
            throw e;
        });
        System.exit(cl.execute(args));
    }
}

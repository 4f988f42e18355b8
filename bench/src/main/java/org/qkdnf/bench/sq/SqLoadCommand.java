package org.qkdnf.bench.sq;

import java.util.List;
import java.util.concurrent.Callable;

import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code sq-load}: the Sq ingest load driver (see {@link SqLoadRun}). */
@Command(name = "sq-load", mixinStandardHelpOptions = true,
        description = "Sq ingest load: starts a standalone controller in this JVM (mTLS on 127.0.0.1, temporary"
                + " data dir), connects N simulated agents, each over its own TLS connection with its own QKD_NODE"
                + " certificate, and offers link-performance updates at each given rate. Reports accepted updates/s"
                + " and the delay from each update's scheduled send time (its measured_at) to the controller's"
                + " topology event.")
public final class SqLoadCommand implements Callable<Integer> {

    @Option(names = "--agents", defaultValue = "1000", description = "Concurrent agent streams (= nodes). Default: ${DEFAULT-VALUE}.")
    int agents;

    @Option(names = "--links-per-node", defaultValue = "2",
            description = "Links per node (even); each report carries one entry per link. Default: ${DEFAULT-VALUE}.")
    int linksPerNode;

    @Option(names = "--rates", split = ",", defaultValue = "20000,50000,100000,150000",
            description = "Offered link updates/s, one step each. Default: ${DEFAULT-VALUE}.")
    List<Integer> rates;

    @Option(names = "--warmup", defaultValue = "5", description = "Seconds per step before measuring. Default: ${DEFAULT-VALUE}.")
    double warmup;

    @Option(names = "--measure", defaultValue = "10", description = "Seconds measured per step. Default: ${DEFAULT-VALUE}.")
    double measure;

    @Option(names = "--senders", defaultValue = "2", description = "Pacer threads. Default: ${DEFAULT-VALUE}.")
    int senders;

    @Option(names = "--client-event-loops", defaultValue = "1",
            description = "Netty threads shared by all agent channels. Default: ${DEFAULT-VALUE}.")
    int clientEventLoops;

    @Option(names = "--p99-goal-ms", defaultValue = "50", description = "p99 a step must meet to pass. Default: ${DEFAULT-VALUE}.")
    double p99GoalMillis;

    @Option(names = "--server", defaultValue = "stock",
            description = "stock: the StandaloneController as shipped; tuned: the same parts with the threading below"
                    + " (an experiment, see README). Default: ${DEFAULT-VALUE}.")
    String server;

    @Option(names = "--server-event-loops", defaultValue = "1", description = "tuned only: Netty server threads. Default: ${DEFAULT-VALUE}.")
    int serverEventLoops;

    @Option(names = "--server-call-threads", defaultValue = "0",
            description = "tuned only: call executor threads; 0 runs handlers on the event loop. Default: ${DEFAULT-VALUE}.")
    int serverCallThreads;

    @Override
    public Integer call() throws Exception {
        SqLoadSettings settings = new SqLoadSettings(agents, linksPerNode, rates, warmup, measure, senders,
                clientEventLoops, p99GoalMillis, serverSpec());
        List<StepResult> results = new SqLoadRun(settings, System.out).run();
        int best = results.stream().filter(StepResult::passed).mapToInt(StepResult::offeredPerSecond).max().orElse(0);
        System.out.printf("highest offered rate sustained (accepted >= %.0f%% of offer, p99 <= %s ms): %,d link updates/s"
                + " from %d streams, %d updates per report%n", SqLoadSettings.MIN_ACCEPTED_SHARE * 100,
                p99GoalMillis, best, agents, linksPerNode);
        return 0;
    }

    private ServerSpec serverSpec() {
        switch (server) {
            case "stock":
                return ServerSpec.STOCK;
            case "tuned":
                return new ServerSpec(false, serverEventLoops, serverCallThreads);
            default:
                throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                        "--server: must be stock or tuned, was " + server);
        }
    }
}

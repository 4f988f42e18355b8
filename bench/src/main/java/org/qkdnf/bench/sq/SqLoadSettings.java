package org.qkdnf.bench.sq;

import java.util.List;

/**
 * What one load run does. Immutable.
 *
 * @param agents           simulated agents = concurrent Sq streams = nodes
 * @param linksPerNode     links each node reports (even); one report carries this many updates
 * @param offeredRates     link updates/s to offer, one step each, in order
 * @param warmupSeconds    per step, before the measurement window opens
 * @param measureSeconds   per step, the measurement window
 * @param senders          pacer threads
 * @param clientEventLoops Netty threads shared by all agent channels
 * @param p99GoalMillis    a step passes when p99 is at most this and nearly all of the offer is accepted
 * @param server           the controller to drive
 */
public record SqLoadSettings(int agents, int linksPerNode, List<Integer> offeredRates, double warmupSeconds,
                             double measureSeconds, int senders, int clientEventLoops, double p99GoalMillis,
                             ServerSpec server) {

    /** Share of the offered rate that must be accepted in the window for a step to pass. */
    public static final double MIN_ACCEPTED_SHARE = 0.95;

    public SqLoadSettings {
        if (agents < linksPerNode + 1) {
            throw new IllegalArgumentException("agents: need at least links-per-node + 1");
        }
        if (offeredRates.isEmpty() || offeredRates.stream().anyMatch(r -> r <= 0)) {
            throw new IllegalArgumentException("rates: need at least one rate, each > 0");
        }
        if (warmupSeconds < 0 || measureSeconds <= 0) {
            throw new IllegalArgumentException("warmup must be >= 0 and measure > 0 seconds");
        }
        if (senders < 1 || senders > agents || clientEventLoops < 1) {
            throw new IllegalArgumentException("senders must be in [1, agents], client event loops >= 1");
        }
        offeredRates = List.copyOf(offeredRates);
        java.util.Objects.requireNonNull(server, "server");
    }
}

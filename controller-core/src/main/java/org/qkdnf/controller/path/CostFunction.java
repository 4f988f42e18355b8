package org.qkdnf.controller.path;

/**
 * Edge cost of a key-relay hop for a request of a given rate.
 *
 * <pre>
 * cost(e) = hopWeight
 *         + alpha * requestedRate / availableRate(e)            (utilisation after admission)
 *         + beta / (1 + poolBits(e) / poolReferenceBits)         (pool pressure)
 *         + gammaPerMs * latencyMs(e)                            (relay latency)
 * </pre>
 *
 * <p>Why these terms: every hop costs one relay (one XOR, one more trusted node holding the key),
 * so hop count is the base unit ({@code hopWeight}, default 1). The utilisation term grows as the
 * request takes a larger share of what is left on the link: a request that would take the whole
 * remaining rate costs {@code alpha} (default 1) extra hops, one taking 1 % costs 0.01, so
 * traffic spreads away from nearly-full links without ever preferring a much longer path for a
 * tiny request. The pool term is at most {@code beta} (default 0.5 hop, for an empty pool) and
 * halves when the pool holds {@code poolReferenceBits} (default 1 Mbit): a full pool absorbs
 * bursts and short outages of the QKD link, so it is preferred, but the pool level changes
 * quickly and must not dominate. Latency costs {@code gammaPerMs} (default 0.01) per ms, i.e. one
 * hop per 100 ms: it matters only for long or slow relays.
 *
 * <p>Exclusion: an edge whose available rate (admissible SKR minus what is reserved) is zero or
 * below the requested rate cannot carry the request alone: its cost is {@code +infinity} and
 * single-path searches skip it. The multi-path split calls this with {@code requestedRate = 0}
 * (no utilisation term; capacities are handled by the flow itself).
 *
 * <p>Every finite cost is at least {@code hopWeight > 0}; strictly positive costs are what keep
 * shortest paths simple and Suurballe's and the flow's decompositions cycle-free.
 *
 * <p>Quantum: {@link #DEFAULT} rounds every edge cost to a multiple of 2<sup>-20</sup> (about a
 * millionth of a hop). Sums of such dyadic numbers are exact in a double (far below 2<sup>32</sup>
 * hops), so a path's cost does not depend on the order its edges are added, equal-cost paths are
 * exactly equal and go to the tie-breaking rule, and reduced costs along a shortest path are
 * exactly zero (JGraphT's Suurballe, used as a reference, insists on that).
 */
public final class CostFunction {
    /** The documented defaults. */
    public static final CostFunction DEFAULT =
            new CostFunction(1.0, 1.0, 0.5, 1_000_000.0, 0.01).withQuantum(0x1p-20);

    private final double hopWeight;
    private final double alpha;
    private final double beta;
    private final double poolReferenceBits;
    private final double gammaPerMs;
    private final double quantum;

    public CostFunction(double hopWeight, double alpha, double beta, double poolReferenceBits,
                        double gammaPerMs) {
        this(hopWeight, alpha, beta, poolReferenceBits, gammaPerMs, 0.0);
    }

    private CostFunction(double hopWeight, double alpha, double beta, double poolReferenceBits,
                        double gammaPerMs, double quantum) {
        if (!(hopWeight > 0) || !(alpha >= 0) || !(beta >= 0) || !(poolReferenceBits > 0)
                || !(gammaPerMs >= 0) || Double.isInfinite(hopWeight + alpha + beta + gammaPerMs)) {
            throw new IllegalArgumentException("cost weights must be finite, hopWeight > 0, others >= 0");
        }
        this.hopWeight = hopWeight;
        this.alpha = alpha;
        this.beta = beta;
        this.poolReferenceBits = poolReferenceBits;
        this.gammaPerMs = gammaPerMs;
        this.quantum = quantum;
    }

    /**
     * The same weights with every cost rounded to a multiple of {@code quantum} (0 = no rounding);
     * use a power of two so that rounding and sums are exact.
     */
    public CostFunction withQuantum(double quantum) {
        if (!(quantum >= 0) || quantum >= hopWeight) {
            throw new IllegalArgumentException("quantum must be >= 0 and below hopWeight");
        }
        return new CostFunction(hopWeight, alpha, beta, poolReferenceBits, gammaPerMs, quantum);
    }

    /** A pure hop-count metric (cost = 1 per edge), handy for tests and for comparisons. */
    public static CostFunction hopCount() {
        return new CostFunction(1.0, 0.0, 0.0, 1.0, 0.0);
    }

    /**
     * Cost of one directed edge, or {@code +infinity} if the edge cannot carry {@code requestedRate}.
     */
    public double edgeCost(double requestedRate, double availableRate, double poolBits, double latencyMs) {
        if (!(availableRate > 0) || availableRate < requestedRate) {
            return Double.POSITIVE_INFINITY;
        }
        double cost = hopWeight;
        if (requestedRate > 0) {
            cost += alpha * requestedRate / availableRate;
        }
        cost += beta / (1.0 + Math.max(0.0, poolBits) / poolReferenceBits);
        cost += gammaPerMs * Math.max(0.0, latencyMs);
        return quantum > 0 ? Math.rint(cost / quantum) * quantum : cost;
    }

    /** Costs of every edge of {@code graph} for {@code requestedRate}, indexed by edge. */
    public double[] edgeCosts(PathGraph graph, double requestedRate) {
        double[] costs = new double[graph.edgeCount()];
        for (int e = 0; e < costs.length; e++) {
            costs[e] = edgeCost(requestedRate, graph.availableRate(e), graph.poolBits(e), graph.latencyMs(e));
        }
        return costs;
    }
}

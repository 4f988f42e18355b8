package org.qkdnf.agent.impl;

import java.time.Duration;
import java.util.concurrent.ThreadLocalRandom;

/**
 * Exponential back-off with jitter between reconnection attempts, so that a controller that comes
 * back is not hit by every agent at the same instant. Owned by the agent loop thread.
 */
final class Backoff {

    private final long initialMs;
    private final long maxMs;
    private final double multiplier;
    private final double jitter;
    private long nextMs;

    Backoff(Duration initial, Duration max, double multiplier, double jitter) {
        this.initialMs = initial.toMillis();
        this.maxMs = max.toMillis();
        this.multiplier = multiplier;
        this.jitter = jitter;
        this.nextMs = initialMs;
    }

    /** The delay before the next attempt; each call lengthens the following one, up to the maximum. */
    long nextDelayMs() {
        long base = nextMs;
        nextMs = Math.min(maxMs, (long) (nextMs * multiplier));
        double factor = 1 + jitter * (2 * ThreadLocalRandom.current().nextDouble() - 1);
        return Math.max(1, (long) (base * factor));
    }

    /** A connection succeeded: start from the initial delay again. */
    void reset() {
        nextMs = initialMs;
    }
}

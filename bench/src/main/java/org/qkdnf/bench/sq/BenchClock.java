package org.qkdnf.bench.sq;

/**
 * Epoch microseconds from {@link System#nanoTime()}, anchored once to the wall clock. The agents
 * stamp {@code measured_at} with it and the latency probe reads it when the controller's event
 * arrives; both run in this JVM, so the difference is exact to the microsecond and immune to wall
 * clock steps during a run (which {@code Instant.now()} on both sides would not be). Thread-safe.
 */
final class BenchClock {

    private final long wallMicrosAtStart;
    private final long nanoAtStart;

    BenchClock() {
        this.nanoAtStart = System.nanoTime();
        this.wallMicrosAtStart = System.currentTimeMillis() * 1000L;
    }

    long nowMicros() {
        return wallMicrosAtStart + (System.nanoTime() - nanoAtStart) / 1000L;
    }

    /** The epoch-microsecond time of a {@link System#nanoTime()} reading. */
    long toMicros(long nanoTime) {
        return wallMicrosAtStart + (nanoTime - nanoAtStart) / 1000L;
    }
}

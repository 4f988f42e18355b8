package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;

/** Polling for a condition of a system that converges by itself; the limit only bounds a failing run. */
final class Await {

    private Await() {
    }

    static void until(Duration limit, BooleanSupplier condition, Supplier<String> state) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                assertThat(condition.getAsBoolean()).as("within " + limit + ": " + state.get()).isTrue();
                return;
            }
            Thread.sleep(100);
        }
    }

    static void until(Duration limit, BooleanSupplier condition) throws InterruptedException {
        until(limit, condition, () -> "condition not met");
    }

    /**
     * Repeats {@code check} until it passes; after {@code limit} its last failure is thrown. For a
     * state the system reaches a moment after the event the test waited for (a route removal sent
     * once the new service state is durable).
     */
    static void untilPasses(Duration limit, Runnable check) throws InterruptedException {
        long deadline = System.nanoTime() + limit.toNanos();
        while (true) {
            try {
                check.run();
                return;
            } catch (AssertionError e) {
                if (System.nanoTime() > deadline) {
                    throw e;
                }
            }
            Thread.sleep(100);
        }
    }
}

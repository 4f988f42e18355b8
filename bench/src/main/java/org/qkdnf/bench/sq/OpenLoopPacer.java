package org.qkdnf.bench.sq;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * Offers performance reports at a fixed rate for a fixed time, open loop: report k of a sender is
 * due at {@code start + k / rate} whatever happened to report k-1, and is stamped with that due
 * time, not with the time it finally left. A sender that falls behind (CPU starved, or every one of
 * its streams pushed back by gRPC flow control) therefore shows up as latency instead of silently
 * lowering the offered load (no coordinated omission).
 *
 * <p>Agents are visited in a fixed pseudo-random order: in index order, neighbours on the ring
 * (which share a link) would report one right after the other, so both ends' updates of a link
 * would reach the controller together and contend for that link's entry, which independent agents
 * rarely do.
 *
 * <p>Threads: {@code senders} threads, each owning every {@code senders}-th agent of that order
 * (so each stream has one writer) and sending to them round-robin, skipping a stream that is not
 * ready. The counters are {@link LongAdder}s read by the driver afterwards.
 */
final class OpenLoopPacer {

    /** Longest sleep while ahead of schedule; short so that the schedule is kept to ~0.1 ms. */
    private static final long MAX_PARK_NANOS = TimeUnit.MICROSECONDS.toNanos(200);

    private static final long SHUFFLE_SEED = 20261125L;

    private final List<SimulatedAgent> agents;
    private final int senders;
    private final BenchClock clock;
    private final LongAdder updatesSent = new LongAdder();
    private final LongAdder reportsSent = new LongAdder();
    private final LongAdder allBusy = new LongAdder();

    OpenLoopPacer(List<SimulatedAgent> agents, int senders, BenchClock clock) {
        if (senders < 1 || senders > agents.size()) {
            throw new IllegalArgumentException("senders: must be in [1, " + agents.size() + "], was " + senders);
        }
        List<SimulatedAgent> order = new ArrayList<>(agents);
        Collections.shuffle(order, new Random(SHUFFLE_SEED));
        this.agents = order;
        this.senders = senders;
        this.clock = clock;
    }

    /** Link updates handed to gRPC so far. */
    long updatesSent() {
        return updatesSent.sum();
    }

    long reportsSent() {
        return reportsSent.sum();
    }

    /** How often a sender found every one of its streams pushed back (flow control). */
    long allBusy() {
        return allBusy.sum();
    }

    /**
     * Starts offering {@code reportsPerSecond} in total for {@code seconds}; {@link Started#join}
     * waits for the end. Not reentrant: one run at a time (each stream has one writer).
     */
    Started start(double reportsPerSecond, double seconds) {
        long start = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(5);
        long end = start + (long) (seconds * 1e9);
        double perSender = reportsPerSecond / senders;
        List<Thread> threads = new ArrayList<>(senders);
        for (int t = 0; t < senders; t++) {
            List<SimulatedAgent> mine = new ArrayList<>();
            for (int i = t; i < agents.size(); i += senders) {
                mine.add(agents.get(i));
            }
            Thread thread = new Thread(() -> send(mine, perSender, start, end), "bench-pacer-" + t);
            thread.setDaemon(true);
            threads.add(thread);
        }
        threads.forEach(Thread::start);
        return new Started(threads);
    }

    /** A run in progress. */
    static final class Started {
        private final List<Thread> threads;

        private Started(List<Thread> threads) {
            this.threads = threads;
        }

        /** Waits until every sender has finished (the agents are then free for the next run). */
        void join() throws InterruptedException {
            for (Thread t : threads) {
                t.join();
            }
        }
    }

    private void send(List<SimulatedAgent> mine, double rate, long start, long end) {
        double nanosPerReport = 1e9 / rate;
        long k = 0;
        int cursor = 0;
        long now;
        while ((now = System.nanoTime()) < end) {
            long due = now < start ? 0 : (long) ((now - start) / nanosPerReport) + 1;
            if (k >= due) {
                long nextDue = start + (long) (k * nanosPerReport);
                LockSupport.parkNanos(Math.min(MAX_PARK_NANOS, Math.max(1, nextDue - now)));
                continue;
            }
            while (k < due) {
                SimulatedAgent agent = null;
                for (int tries = 0; tries < mine.size() && agent == null; tries++) {
                    SimulatedAgent candidate = mine.get(cursor);
                    cursor = cursor + 1 == mine.size() ? 0 : cursor + 1;
                    if (candidate.isReady()) {
                        agent = candidate;
                    }
                }
                if (agent == null) {
                    allBusy.increment();
                    LockSupport.parkNanos(MAX_PARK_NANOS);
                    break;
                }
                long dueAt = start + (long) (k * nanosPerReport);
                updatesSent.add(agent.sendReport(clock.toMicros(dueAt)));
                reportsSent.increment();
                k++;
            }
        }
    }
}

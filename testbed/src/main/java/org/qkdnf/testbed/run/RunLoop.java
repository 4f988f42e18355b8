package org.qkdnf.testbed.run;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.qkdnf.testbed.report.ReportWriter;
import org.qkdnf.testbed.report.TestbedReport;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.view.LiveView;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a scenario from start to report: start everything, wait for convergence, tick the live view
 * every second until the duration is over or the JVM is asked to stop (Ctrl-C, SIGTERM), then take
 * the final snapshot from the controllers, write the report and stop everything.
 *
 * <p>Threads: {@link #run} on the caller's thread; the shutdown hook only signals it and waits
 * (bounded) for it to finish, so the report is written before the JVM exits.
 */
public final class RunLoop {

    private static final Logger log = LoggerFactory.getLogger(RunLoop.class);
    /** The live view's refresh period. */
    static final Duration TICK = Duration.ofSeconds(1);
    /** The plain view prints a summary every this many ticks. */
    static final int PLAIN_EVERY_TICKS = 5;
    /** How long Ctrl-C waits for the report and a clean stop. */
    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(20);

    private final Scenario scenario;
    private final RunDirectory dir;
    private final LiveView.Mode mode;
    private final Duration duration;
    private final Path extraReport;
    private final Duration convergeTimeout;
    private final PrintWriter out;
    private final PrintWriter err;
    private final CountDownLatch stop = new CountDownLatch(1);
    private final CountDownLatch finished = new CountDownLatch(1);

    /**
     * @param duration    null = until stopped
     * @param extraReport where to write the report besides the run directory (null = nowhere)
     */
    public RunLoop(Scenario scenario, RunDirectory dir, LiveView.Mode mode, Duration duration, Path extraReport,
                   Duration convergeTimeout, PrintWriter out, PrintWriter err) {
        this.scenario = scenario;
        this.dir = dir;
        this.mode = mode;
        this.duration = duration;
        this.extraReport = extraReport;
        this.convergeTimeout = convergeTimeout;
        this.out = out;
        this.err = err;
    }

    /** Asks a running loop to stop (as Ctrl-C does). */
    public void requestStop() {
        stop.countDown();
    }

    /** @return the process exit code: 0 done, 1 the run failed */
    public int run() throws InterruptedException {
        Thread hook = new Thread(() -> {
            stop.countDown();
            try {
                finished.await(SHUTDOWN_WAIT.toMillis(), TimeUnit.MILLISECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "qkdnf-shutdown");
        Runtime.getRuntime().addShutdownHook(hook);
        try {
            return runInside();
        } finally {
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // The hook is running: it has been waiting for 'finished', which is now counted down.
            }
        }
    }

    private int runInside() throws InterruptedException {
        out.printf("qkdnf: scenario '%s': %d nodes, %d links, %d provider(s); run directory %s%n",
                scenario.name(), scenario.nodeCount(), scenario.linkCount(), scenario.providers().size(),
                dir.root());
        TestbedRun run;
        try {
            run = TestbedRun.start(scenario, dir);
        } catch (IOException | RuntimeException e) {
            log.error("cannot start the testbed", e);
            err.println("qkdnf: cannot start the testbed: " + e + " (details in " + dir.logFile() + ")");
            return 1;
        }
        try {
            Instant start = run.startedAt();
            Instant end = duration == null ? null : start.plus(duration);
            out.println("qkdnf: controller(s) and agents started; waiting for the topology to converge...");
            Duration convergeWait = end == null ? convergeTimeout
                    : min(convergeTimeout, Duration.between(Instant.now(), end));
            boolean converged = run.awaitConverged(convergeWait.isNegative() ? Duration.ZERO : convergeWait);
            long ms = Duration.between(start, Instant.now()).toMillis();
            if (converged) {
                log.info("topology converged after {} ms", ms);
                out.printf(Locale.ROOT, "qkdnf: topology converged after %.1f s%n", ms / 1000.0);
            } else {
                log.warn("topology not converged after {} ms", ms);
                out.printf(Locale.ROOT, "qkdnf: topology not fully converged after %.1f s (see the table)%n", ms / 1000.0);
            }
            String footer = (end == null ? "Ctrl-C to stop" : "stops after " + duration.toSeconds() + " s")
                    + "; run directory " + dir.root();
            LiveView view = new LiveView(mode, out, run.statusLogs(), start, footer, PLAIN_EVERY_TICKS);
            while (true) {
                view.tick(run.snapshot());
                long waitMs = TICK.toMillis();
                if (end != null) {
                    long left = Duration.between(Instant.now(), end).toMillis();
                    if (left <= 0) {
                        break;
                    }
                    waitMs = Math.min(waitMs, left);
                }
                if (stop.await(waitMs, TimeUnit.MILLISECONDS)) {
                    break;
                }
            }
            // What the controllers see at the end, taken while every agent is still connected.
            TestbedReport last = run.snapshot();
            view.finish(last);
            return writeReports(last);
        } finally {
            run.close();
        }
    }

    private int writeReports(TestbedReport report) {
        try {
            ReportWriter.write(report, dir.reportFile());
            if (extraReport != null) {
                ReportWriter.write(report, extraReport);
            }
        } catch (IOException e) {
            log.error("cannot write the report", e);
            err.println("qkdnf: cannot write the report: " + e.getMessage());
            return 1;
        }
        out.println("qkdnf: report written to " + (extraReport != null ? extraReport.toAbsolutePath() + " and " : "")
                + dir.reportFile());
        return 0;
    }

    private static Duration min(Duration a, Duration b) {
        return a.compareTo(b) <= 0 ? a : b;
    }
}

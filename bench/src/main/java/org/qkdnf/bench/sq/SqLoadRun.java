package org.qkdnf.bench.sq;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import org.HdrHistogram.Histogram;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.controller.api.QkdLinkInfo;

/**
 * One Sq ingest load run, in this JVM: a controller (by default the stock
 * {@code StandaloneController}; mTLS, 127.0.0.1, ephemeral port, its MVStore in a temporary
 * directory), {@code agents} simulated agents on a ring lattice,
 * then one step per offered rate (warm-up, measurement window, drain). The controller is in-process
 * because the latency probe is a topology listener; agents still reach it only over TLS sockets.
 *
 * <p>Threads: {@link #run} is called by one thread, which owns the fleet between steps.
 */
public final class SqLoadRun {

    private static final long CONNECT_TIMEOUT_SECONDS = 180;
    private static final long DRAIN_TIMEOUT_MILLIS = 30_000;

    private final SqLoadSettings settings;
    private final PrintStream log;

    /** @param log progress lines and one table row per step are printed here */
    public SqLoadRun(SqLoadSettings settings, PrintStream log) {
        this.settings = settings;
        this.log = log;
    }

    public List<StepResult> run() throws Exception {
        RingTopology topology = new RingTopology(settings.agents(), settings.linksPerNode());
        Path data = Files.createTempDirectory("qkdnf-bench-data");
        BenchClock clock = new BenchClock();
        LatencyProbe probe = new LatencyProbe(clock);
        try (BenchPki pki = BenchPki.create();
             ControllerUnderTest controller = settings.server().start(pki.controller(), data);
             AgentFleet fleet = new AgentFleet(settings.clientEventLoops())) {
            log.println("controller: " + controller.describe());
            controller.topology().addListener(probe);
            long t0 = System.nanoTime();
            fleet.connect(topology, pki, "127.0.0.1", controller.sqPort(), CONNECT_TIMEOUT_SECONDS);
            awaitAllLinksReportedTwice(controller, topology);
            log.printf("%d agents connected over mTLS, %d nodes / %d links reported by both ends, in %d ms%n",
                    settings.agents(), topology.nodeCount(), topology.linkCount(),
                    TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - t0));
            OpenLoopPacer pacer = new OpenLoopPacer(fleet.agents(), settings.senders(), clock);
            List<StepResult> results = new ArrayList<>();
            log.println(StepResult.header());
            for (int rate : settings.offeredRates()) {
                StepResult r = step(rate, topology, pacer, probe);
                results.add(r);
                log.println(r.row());
                if (fleet.endedStreams() > 0) {
                    throw new IllegalStateException(fleet.endedStreams() + " agent streams ended during the run");
                }
            }
            return results;
        } finally {
            deleteTree(data);
        }
    }

    private StepResult step(int offered, RingTopology topology, OpenLoopPacer pacer, LatencyProbe probe)
            throws InterruptedException {
        double reportsPerSecond = (double) offered / topology.degree();
        OpenLoopPacer.Started running = pacer.start(reportsPerSecond,
                settings.warmupSeconds() + settings.measureSeconds());
        sleepSeconds(settings.warmupSeconds());
        probe.takeInterval(); // discard the warm-up samples
        CpuMeter cpu = new CpuMeter();
        ThreadCpuSplit split = new ThreadCpuSplit();
        long accepted0 = probe.accepted();
        long sent0 = pacer.updatesSent();
        long stalls0 = pacer.allBusy();
        long w0 = System.nanoTime();
        sleepSeconds(settings.measureSeconds());
        long w1 = System.nanoTime();
        long accepted1 = probe.accepted();
        long sent1 = pacer.updatesSent();
        Histogram window = probe.takeInterval();
        double cores = cpu.processCores();
        long[] cpuNanos = split.sinceStart();
        double busy = cpu.machineBusy();
        long gc = cpu.gcMillisSince();
        running.join();
        long drain = drain(probe);
        probe.takeInterval(); // drop what arrived after the window
        double seconds = (w1 - w0) / 1e9;
        long updates = Math.max(1, accepted1 - accepted0);
        double[] microsPerUpdate = {cpuNanos[0] / 1e3 / updates, cpuNanos[1] / 1e3 / updates, cpuNanos[2] / 1e3 / updates};
        return StepResult.of(offered, (sent1 - sent0) / seconds, (accepted1 - accepted0) / seconds, window,
                cores, busy, gc, drain, pacer.allBusy() - stalls0, microsPerUpdate, settings.p99GoalMillis());
    }

    /** Waits until no event arrived for 200 ms; returns how long events kept coming. */
    private static long drain(LatencyProbe probe) throws InterruptedException {
        long start = System.nanoTime();
        long lastChange = start;
        long last = probe.accepted();
        while (System.nanoTime() - lastChange < TimeUnit.MILLISECONDS.toNanos(200)
                && System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(DRAIN_TIMEOUT_MILLIS)) {
            Thread.sleep(20);
            long now = probe.accepted();
            if (now != last) {
                last = now;
                lastChange = System.nanoTime();
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(lastChange - start);
    }

    private static void awaitAllLinksReportedTwice(ControllerUnderTest controller, RingTopology topology)
            throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(CONNECT_TIMEOUT_SECONDS);
        while (true) {
            Collection<QkdLinkInfo> links = controller.topology().getLinks();
            long complete = links.stream().filter(l -> l.reportCount() == 2).count();
            if (links.size() == topology.linkCount() && complete == topology.linkCount()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + complete + " of " + topology.linkCount()
                        + " links reported by both ends after " + CONNECT_TIMEOUT_SECONDS + " s");
            }
            Thread.sleep(50);
        }
    }

    private static void sleepSeconds(double seconds) throws InterruptedException {
        Thread.sleep((long) (seconds * 1000));
    }

    private static void deleteTree(Path dir) throws IOException {
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}

package org.qkdnf.bench.nc;

import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.stub.StreamObserver;
import org.HdrHistogram.Histogram;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.Protection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nc-provision}: key services set up per second through the real Nc gRPC API (mTLS) on the
 * stock standalone controller, each answered only once its route is installed in, and acknowledged
 * by, every real key manager on it (see {@link NcBed}). A closed loop keeps {@code --in-flight}
 * CreateKeyService calls outstanding; each service joins two random distinct nodes (seeded) with
 * its own SAE pair. The first {@code --warmup} setups are not counted. Reports setups/s over the
 * measured ones and their p50/p99/max latency (call to answer), then checks that every ACTIVE
 * service's route is present in the real key managers of both its end nodes.
 *
 * <p>Threads: the caller issues calls; answers arrive on gRPC's threads (the histogram is
 * synchronized on itself).
 */
@Command(name = "nc-provision", mixinStandardHelpOptions = true,
        description = "Key services set up per second over Nc, routes installed in real kms-agents.")
public final class NcProvisionCommand implements Callable<Integer> {

    @Mixin
    NcBedOptions bedOptions = new NcBedOptions();

    @Option(names = "--services", defaultValue = "10000", description = "Measured setups. Default: ${DEFAULT-VALUE}.")
    int services;

    @Option(names = "--warmup", defaultValue = "2000", description = "Setups before measuring. Default: ${DEFAULT-VALUE}.")
    int warmup;

    @Option(names = "--in-flight", defaultValue = "256", description = "Outstanding calls. Default: ${DEFAULT-VALUE}.")
    int inFlight;

    @Option(names = "--protection", defaultValue = "PROTECTION_NONE",
            description = "PROTECTION_NONE, PROTECTION_RESTORATION or PROTECTION_ONE_PLUS_ONE. Default: ${DEFAULT-VALUE}.")
    Protection protection;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed of the node pairs. Default: ${DEFAULT-VALUE}.")
    long seed;


    @Override
    public Integer call() throws Exception {
        try (NcBed bed = bedOptions.start()) {
            System.out.printf(Locale.ROOT, "bed: %d nodes, %d links, %d key managers (%s) connected over Sk%n", bedOptions.nodes,
                    bed.ring.linkCount(), bedOptions.nodes, bedOptions.kms);
            Random rnd = new Random(seed);
            Run warm = run(bed, rnd, 0, warmup);
            System.out.printf(Locale.ROOT, "warmup: %,d setups, %,d failed%n", warmup, warm.failed.get());
            Run m = run(bed, rnd, warmup, services);
            double secs = m.elapsedNanos / 1e9;
            System.out.printf(Locale.ROOT, "measured: %,d setups in %.2f s = %,.0f setups/s (%,d failed), "
                    + "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms (in flight %d)%n",
                    services, secs, (services - m.failed.get()) / secs, m.failed.get(),
                    m.latency.getValueAtPercentile(50) / 1000.0, m.latency.getValueAtPercentile(99) / 1000.0,
                    m.latency.getMaxValue() / 1000.0, inFlight);
            // On a shared machine the rate follows the other loads; CPU per setup much less so.
            System.out.printf(Locale.ROOT, "cpu: %.0f us per setup (this JVM: client, controller and key managers)%n",
                    m.cpuNanos / 1e3 / services);
            long active = 0;
            long missing = 0;
            for (KeyService s : bed.controller.keyServiceManager().list()) {
                if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE) {
                    active++;
                    String routeId = s.getRoutes(0).getRouteId();
                    if (!bed.routeIdsAt(s.getSpec().getMasterQkdnId()).contains(routeId)
                            || !bed.routeIdsAt(s.getSpec().getSlaveQkdnId()).contains(routeId)) {
                        missing++;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "controller: %,d services ACTIVE; routes missing in their end kms-agents: %,d%n",
                    active, missing);
            if (m.failed.get() > 0 || missing > 0 || active != warmup + services - warm.failed.get()) {
                System.out.println("FAILED: some setups failed, are not ACTIVE or are not installed");
                return 1;
            }
            return 0;
        }
    }

    private static final class Run {
        final Histogram latency = new Histogram(3_600_000_000L, 3);
        final AtomicLong failed = new AtomicLong();
        long elapsedNanos;
        long cpuNanos;
    }

    private Run run(NcBed bed, Random rnd, int offset, int count) throws InterruptedException {
        Run r = new Run();
        Semaphore window = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(count);
        long start = System.nanoTime();
        long cpuStart = processCpuNanos();
        for (int i = 0; i < count; i++) {
            int a = rnd.nextInt(bedOptions.nodes);
            int b = (a + 1 + rnd.nextInt(bedOptions.nodes - 1)) % bedOptions.nodes;
            int n = offset + i;
            KeyServiceSpec spec = KeyServiceSpec.newBuilder()
                    .setMasterSaeId("sae-m-" + n).setMasterQkdnId(bed.ring.nodeId(a))
                    .setSlaveSaeId("sae-s-" + n).setSlaveQkdnId(bed.ring.nodeId(b))
                    .setQos(AppQos.newBuilder().setMinBandwidthBps(bedOptions.rateBps).setPriority(1))
                    .setProtection(protection).build();
            window.acquire();
            long t0 = System.nanoTime();
            bed.stub.createKeyService(CreateKeyServiceRequest.newBuilder().setSpec(spec).build(),
                    new StreamObserver<CreateKeyServiceResponse>() {
                        @Override
                        public void onNext(CreateKeyServiceResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (r.failed.incrementAndGet() <= 5) {
                                System.out.println("setup failed: " + io.grpc.Status.fromThrowable(t));
                            }
                            finish();
                        }

                        @Override
                        public void onCompleted() {
                            synchronized (r.latency) {
                                r.latency.recordValue(Math.max(1, (System.nanoTime() - t0) / 1000));
                            }
                            finish();
                        }

                        private void finish() {
                            window.release();
                            done.countDown();
                        }
                    });
        }
        done.await();
        r.elapsedNanos = System.nanoTime() - start;
        r.cpuNanos = processCpuNanos() - cpuStart;
        return r;
    }

    private static long processCpuNanos() {
        return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
                .getProcessCpuTime();
    }
}

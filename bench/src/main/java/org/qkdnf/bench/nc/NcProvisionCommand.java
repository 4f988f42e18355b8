package org.qkdnf.bench.nc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.stub.StreamObserver;
import org.HdrHistogram.Histogram;
import org.qkdnf.bench.cpu.ThreadCpu;
import org.qkdnf.controller.keyservice.KeyServiceGrpcService;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.BatchCreateKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.BatchCreateKeyServicesResponse;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResult;
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
 * services outstanding: one unary CreateKeyService call each, or with {@code --batch n}
 * BatchCreateKeyServices calls of n each (the first line of the output says which API ran, so a
 * figure of one is never read as the other's); each service joins two random distinct nodes
 * (seeded) with its own SAE pair. The first {@code --warmup} setups are not counted, nor, with
 * {@code --warmup-until-jit-below}, the {@link JitSettling} rounds after them. Reports setups/s over the
 * measured ones and their p50/p99/max latency (call to answer: a batch's services all count its
 * call's), then checks that every ACTIVE
 * service's route is present in the real key managers of both its end nodes.
 *
 * <p>Threads: the caller issues calls; answers arrive on gRPC's threads (the histogram and a run's
 * list of created ids are each synchronized on themselves).
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

    @Option(names = "--batch", defaultValue = "1",
            description = "Key services per call: 1 sends one unary CreateKeyService per service; more sends "
                    + "BatchCreateKeyServices calls of that many (in flight still counts services). Default: ${DEFAULT-VALUE}.")
    int batch;

    @Option(names = "--seed", defaultValue = "1", description = "Random seed of the node pairs. Default: ${DEFAULT-VALUE}.")
    long seed;

    @Option(names = "--warmup-until-jit-below", defaultValue = "0",
            description = "After the --warmup setups, keep warming up in rounds (see --settle-round) until the JIT "
                    + "compiler threads used fewer than this many cores over a round, as JMH waits for a steady state; "
                    + "0 turns it off. Linux only (reads /proc). Default: ${DEFAULT-VALUE}.")
    double settleJitCores;

    @Option(names = "--settle-round", defaultValue = "5000",
            description = "Setups per settling round; each round deletes its services again, so the measured part starts "
                    + "with as many services as without settling. Default: ${DEFAULT-VALUE}.")
    int settleRound;

    @Option(names = "--settle-max-seconds", defaultValue = "600",
            description = "Stop settling after this long and say the JIT did not settle. Default: ${DEFAULT-VALUE}.")
    int settleMaxSeconds;


    @Override
    public Integer call() throws Exception {
        try (NcBed bed = bedOptions.start()) {
            System.out.printf(Locale.ROOT, "bed: %d nodes, %d links, %d key managers (%s) connected over Sk%n", bedOptions.nodes,
                    bed.ring.linkCount(), bedOptions.nodes, bedOptions.kms);
            if (batch < 1 || batch > KeyServiceGrpcService.MAX_BATCH || (batch > 1 && batch > inFlight)) {
                throw new IllegalArgumentException("--batch: must be in 1.." + KeyServiceGrpcService.MAX_BATCH
                        + " and at most --in-flight, got " + batch);
            }
            // Printed first so a figure is never read as the other API's.
            System.out.printf(Locale.ROOT, "api: %s%n", batch == 1 ? "unary CreateKeyService, one call per service"
                    : "BatchCreateKeyServices, " + batch + " services per call");
            if (settleJitCores < 0 || settleRound < 1 || settleMaxSeconds < 1) {
                throw new IllegalArgumentException("--warmup-until-jit-below must be >= 0, --settle-round and "
                        + "--settle-max-seconds >= 1");
            }
            if (settleJitCores > 0 && !VmThreadsCpu.available()) {
                throw new IllegalArgumentException("--warmup-until-jit-below: needs /proc/self/task (Linux)");
            }
            Random rnd = new Random(seed);
            Run warm = run(bed, rnd, 0, warmup, false);
            System.out.printf(Locale.ROOT, "warmup: %,d setups, %,d failed%n", warmup, warm.failed.get());
            if (settleJitCores > 0) {
                new JitSettling(bed, settleJitCores, settleMaxSeconds).untilSettled(
                        (round, offset) -> run(bed, new Random(seed + round), offset, settleRound, true),
                        warmup + services, settleRound, inFlight);
            }
            Run m = run(bed, rnd, warmup, services, false);
            double secs = m.elapsedNanos / 1e9;
            System.out.printf(Locale.ROOT, "measured: %,d setups in %.2f s = %,.0f setups/s (%,d failed), "
                    + "latency p50 %.1f ms, p99 %.1f ms, max %.1f ms (in flight %d, %s)%n",
                    services, secs, (services - m.failed.get()) / secs, m.failed.get(),
                    m.latency.getValueAtPercentile(50) / 1000.0, m.latency.getValueAtPercentile(99) / 1000.0,
                    m.latency.getMaxValue() / 1000.0, inFlight, batch == 1 ? "unary" : "batches of " + batch);
            // On a shared machine the rate follows the other loads; CPU per setup much less so.
            System.out.printf(Locale.ROOT, "cpu: %.0f us per setup (this JVM: client, controller and key managers)%n",
                    m.cpuNanos / 1e3 / services);
            StringBuilder split = new StringBuilder();
            m.cpuByGroup.forEach((group, nanos) -> {
                if (nanos * 100 >= m.cpuNanos) { // groups of 1 % or more
                    split.append(String.format(Locale.ROOT, "%s%s %.0f", split.length() == 0 ? "" : ", ", group,
                            nanos / 1e3 / services));
                }
            });
            System.out.println("cpu by thread group, us per setup: " + split);
            if (VmThreadsCpu.available()) {
                // Not in the Java thread groups above; the JIT was still 25-40 % of it after long warm-ups.
                System.out.printf(Locale.ROOT, "cpu of the JVM's own threads, us per setup: JIT compilers %.0f, GC and VM thread %.0f%n",
                        m.vmNanos[0] / 1e3 / services, m.vmNanos[1] / 1e3 / services);
            }
            System.out.printf(Locale.ROOT, "Sk per setup: %.2f command messages to key managers, %s%n",
                    (double) m.skMessages / services, bed.kms.isEmpty() ? "no key-manager stores (acking)"
                            : String.format(Locale.ROOT, "%.2f key-manager store syncs", (double) m.kmsSyncs / services));
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

    /** One closed loop of setups; {@link JitSettling} reads {@link #failed} and {@link #created}. */
    static final class Run {
        final Histogram latency = new Histogram(3_600_000_000L, 3);
        final AtomicLong failed = new AtomicLong();
        /** The ids of the services set up, when asked for (settling deletes them again); else null. */
        final List<String> created;
        long elapsedNanos;
        long cpuNanos;
        Map<String, Long> cpuByGroup;
        long[] vmNanos;
        long skMessages;
        long kmsSyncs;

        Run(boolean collectIds) {
            created = collectIds ? new ArrayList<>() : null;
        }
    }

    private Run run(NcBed bed, Random rnd, int offset, int count, boolean collectIds) throws InterruptedException {
        Run r = new Run(collectIds);
        Semaphore window = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(count);
        long start = System.nanoTime();
        ThreadCpu cpu = ThreadCpu.start();
        VmThreadsCpu vm = VmThreadsCpu.start();
        long skMessages = bed.skCommandMessages();
        long kmsSyncs = bed.kmsStoreSyncs();
        for (int i = 0; i < count; i += batch) {
            int size = Math.min(batch, count - i);
            List<KeyServiceSpec> specs = new ArrayList<>(size);
            for (int k = 0; k < size; k++) {
                specs.add(spec(bed, rnd, offset + i + k));
            }
            window.acquire(size);
            long t0 = System.nanoTime();
            if (batch == 1) {
                bed.stub.createKeyService(CreateKeyServiceRequest.newBuilder().setSpec(specs.get(0)).build(),
                        new Answer<>(r, window, done, t0, 1));
            } else {
                BatchCreateKeyServicesRequest.Builder b = BatchCreateKeyServicesRequest.newBuilder();
                specs.forEach(sp -> b.addRequests(CreateKeyServiceRequest.newBuilder().setSpec(sp)));
                bed.stub.batchCreateKeyServices(b.build(), new Answer<>(r, window, done, t0, size));
            }
        }
        done.await();
        r.elapsedNanos = System.nanoTime() - start;
        r.cpuNanos = cpu.processNanos();
        r.vmNanos = vm.nanosSinceStart();
        r.skMessages = bed.skCommandMessages() - skMessages;
        r.kmsSyncs = bed.kmsStoreSyncs() - kmsSyncs;
        // One group for the 16 kms-agents' Sk threads, whose names end in their node's UUID.
        r.cpuByGroup = cpu.nanosBy(name -> name.startsWith("sk-client-") ? "sk-client-*" : ThreadCpu.group(name));
        return r;
    }

    private KeyServiceSpec spec(NcBed bed, Random rnd, int n) {
        int a = rnd.nextInt(bedOptions.nodes);
        int b = (a + 1 + rnd.nextInt(bedOptions.nodes - 1)) % bedOptions.nodes;
        return KeyServiceSpec.newBuilder()
                .setMasterSaeId("sae-m-" + n).setMasterQkdnId(bed.ring.nodeId(a))
                .setSlaveSaeId("sae-s-" + n).setSlaveQkdnId(bed.ring.nodeId(b))
                .setQos(AppQos.newBuilder().setMinBandwidthBps(bedOptions.rateBps).setPriority(1))
                .setProtection(protection).build();
    }

    /**
     * The answer to one call of {@code size} services: each service's latency is its call's; a
     * failed call counts all of them failed, a batch result with an error counts that one.
     */
    private static final class Answer<T> implements StreamObserver<T> {
        private final Run r;
        private final Semaphore window;
        private final CountDownLatch done;
        private final long t0;
        private final int size;
        private int refused;

        Answer(Run r, Semaphore window, CountDownLatch done, long t0, int size) {
            this.r = r;
            this.window = window;
            this.done = done;
            this.t0 = t0;
            this.size = size;
        }

        @Override
        public void onNext(T value) {
            if (value instanceof CreateKeyServiceResponse && r.created != null) {
                synchronized (r.created) {
                    r.created.add(((CreateKeyServiceResponse) value).getService().getServiceId());
                }
            }
            if (value instanceof BatchCreateKeyServicesResponse) {
                for (CreateKeyServiceResult x : ((BatchCreateKeyServicesResponse) value).getResultsList()) {
                    if (x.hasService() && r.created != null) {
                        synchronized (r.created) {
                            r.created.add(x.getService().getServiceId());
                        }
                    }
                    if (x.hasError()) {
                        refused++;
                        if (r.failed.incrementAndGet() <= 5) {
                            System.out.println("setup failed: " + x.getError().getCode() + " " + x.getError().getMessage());
                        }
                    }
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            if (r.failed.addAndGet(size) <= 5) {
                System.out.println("setup failed: " + io.grpc.Status.fromThrowable(t));
            }
            finish();
        }

        @Override
        public void onCompleted() {
            synchronized (r.latency) {
                r.latency.recordValueWithCount(Math.max(1, (System.nanoTime() - t0) / 1000), size - refused);
            }
            finish();
        }

        private void finish() {
            window.release(size);
            for (int k = 0; k < size; k++) {
                done.countDown();
            }
        }
    }
}

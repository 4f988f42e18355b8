package org.qkdnf.bench.nc;

import java.util.List;
import java.util.Locale;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceResponse;

/**
 * A warm-up that ends when the JIT has settled rather than after a fixed count, like JMH's
 * steady state. In the one-JVM Nc bed (client, controller and 16 kms-agents on two cores) HotSpot
 * has one C2 thread, and its queue of hot methods stays 30-100 long for the first ~100 s: tiered
 * compilation then scales the C2 thresholds by queue length / 3 + 1, so methods run once per setup
 * wait for tens of thousands of setups, and the compiler threads take ~0.45 of a core until the
 * queue drains. A fixed warm-up of 10,000 or 40,000 setups ends inside that transient.
 *
 * <p>Rounds of setups, each followed by deleting its services (so the measured part starts with as
 * many live services, and as full a heap, as without settling), until a round's compiler threads
 * used fewer than the threshold's cores, or the time is up. Prints each round and how long it took.
 *
 * <p>Threads: the driver's thread runs the rounds; delete answers arrive on gRPC's threads and only
 * touch the window, latch and failure counter.
 */
final class JitSettling {

    /** One round of setups, whose services the run collects ({@link NcProvisionCommand.Run#created}). */
    interface Round {
        NcProvisionCommand.Run setUp(int round, int firstIndex) throws InterruptedException;
    }

    private final NcBed bed;
    private final double maxJitCores;
    private final long maxNanos;

    JitSettling(NcBed bed, double maxJitCores, int maxSeconds) {
        this.bed = bed;
        this.maxJitCores = maxJitCores;
        this.maxNanos = TimeUnit.SECONDS.toNanos(maxSeconds);
    }

    /**
     * Runs rounds of {@code perRound} setups numbered from {@code firstIndex} (SAE ids past the
     * measured ones), each deleted again with {@code inFlight} deletes outstanding.
     *
     * @throws IllegalStateException when a setup or a delete of a round failed
     */
    void untilSettled(Round round, int firstIndex, int perRound, int inFlight) throws InterruptedException {
        long start = System.nanoTime();
        int index = firstIndex;
        for (int n = 1; ; n++) {
            long t0 = System.nanoTime();
            VmThreadsCpu vm = VmThreadsCpu.start();
            NcProvisionCommand.Run r = round.setUp(n, index);
            index += perRound;
            long deleteFailed = deleteAll(r.created, inFlight);
            if (r.failed.get() > 0 || deleteFailed > 0) {
                throw new IllegalStateException("settling round " + n + ": " + r.failed.get() + " setups and "
                        + deleteFailed + " deletes failed");
            }
            long now = System.nanoTime();
            double jitCores = (double) vm.nanosSinceStart()[0] / (now - t0);
            System.out.printf(Locale.ROOT, "settling round %d: %,d setups and deletes in %.1f s, JIT compilers %.2f cores%n",
                    n, perRound, (now - t0) / 1e9, jitCores);
            if (jitCores < maxJitCores) {
                System.out.printf(Locale.ROOT, "settled: JIT compilers below %.2f cores after %.1f s of settling "
                        + "(%d rounds, %,d more setups and deletes)%n", maxJitCores, (now - start) / 1e9, n, (long) n * perRound);
                return;
            }
            if (now - start >= maxNanos) {
                System.out.printf(Locale.ROOT, "NOT settled: JIT compilers still at %.2f cores after %.1f s (%d rounds); "
                        + "measuring anyway%n", jitCores, (now - start) / 1e9, n);
                return;
            }
        }
    }

    private long deleteAll(List<String> ids, int inFlight) throws InterruptedException {
        Semaphore window = new Semaphore(inFlight);
        CountDownLatch done = new CountDownLatch(ids.size());
        AtomicLong failed = new AtomicLong();
        for (String id : ids) {
            window.acquire();
            bed.stub.deleteKeyService(DeleteKeyServiceRequest.newBuilder().setServiceId(id).build(),
                    new StreamObserver<DeleteKeyServiceResponse>() {
                        @Override
                        public void onNext(DeleteKeyServiceResponse value) {
                            // empty answer: completion is what counts
                        }

                        @Override
                        public void onError(Throwable t) {
                            if (failed.incrementAndGet() <= 5) {
                                System.out.println("delete failed: " + Status.fromThrowable(t));
                            }
                            window.release();
                            done.countDown();
                        }

                        @Override
                        public void onCompleted() {
                            window.release();
                            done.countDown();
                        }
                    });
        }
        done.await();
        return failed.get();
    }
}

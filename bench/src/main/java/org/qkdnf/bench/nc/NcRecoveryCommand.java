package org.qkdnf.bench.nc;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.qkdnf.controller.keyservice.KeyServiceListener;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.Protection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code nc-recovery}: time from a fibre cut to the last new route acknowledged by the key managers,
 * for {@code --services} key services that all cross the cut link. The services join node 0 and
 * node 1 of the ring (neighbours, so every one takes their direct link) and are created through Nc
 * over mTLS (see {@link NcBed}). The cut is what node 0's qkd-agent reports (sdqkdn_link_down)
 * applied through the controller's topology admin service. The clock starts just before that call
 * and stops when the controller's listener hears of the last affected service's new state, which
 * it does once that state is durable (so the figure includes the last group commit); a RESTORATION or
 * NONE service's commit waits for its new route's acknowledgement by every key manager on it
 * (a 1+1 service switches to its installed standby). Also checks that no service is left on the
 * cut link and that every new route is present in the kms-agents of both ends.
 *
 * <p>Threads: the caller drives; the listener runs on the controller's key-service thread.
 */
@Command(name = "nc-recovery", mixinStandardHelpOptions = true,
        description = "Fibre cut to the last new route acknowledged by the kms-agents, N affected services.")
public final class NcRecoveryCommand implements Callable<Integer> {

    @Mixin
    NcBedOptions bedOptions = new NcBedOptions();

    @Option(names = "--services", defaultValue = "1000", description = "Services across the cut link. Default: ${DEFAULT-VALUE}.")
    int services;

    @Option(names = "--setup-in-flight", defaultValue = "32",
            description = "Outstanding creates while setting up (not measured). Default: ${DEFAULT-VALUE}.")
    int setupInFlight;

    @Option(names = "--protection", defaultValue = "PROTECTION_RESTORATION",
            description = "PROTECTION_RESTORATION, PROTECTION_ONE_PLUS_ONE or PROTECTION_NONE. Default: ${DEFAULT-VALUE}.")
    Protection protection;


    @Override
    public Integer call() throws Exception {
        try (NcBed bed = bedOptions.start()) {
            String a = bed.ring.nodeId(0);
            String b = bed.ring.nodeId(1);
            String cut = bed.ring.linkIdsOf(0).get(0); // node 0 -> node 1
            List<CompletableFuture<KeyService>> created = new ArrayList<>();
            KeyServiceServiceGrpc.KeyServiceServiceFutureStub stub = KeyServiceServiceGrpc.newFutureStub(bed.nc);
            for (int i = 0; i < services; i++) {
                KeyServiceSpec spec = KeyServiceSpec.newBuilder()
                        .setMasterSaeId("sae-m-" + i).setMasterQkdnId(a).setSlaveSaeId("sae-s-" + i).setSlaveQkdnId(b)
                        .setQos(AppQos.newBuilder().setMinBandwidthBps(bedOptions.rateBps).setPriority(1))
                        .setProtection(protection).build();
                CompletableFuture<KeyService> f = new CompletableFuture<>();
                com.google.common.util.concurrent.Futures.addCallback(
                        stub.createKeyService(CreateKeyServiceRequest.newBuilder().setSpec(spec).build()),
                        new com.google.common.util.concurrent.FutureCallback<>() {
                            @Override
                            public void onSuccess(org.qkdnf.proto.northbound.v1.CreateKeyServiceResponse r) {
                                f.complete(r.getService());
                            }

                            @Override
                            public void onFailure(Throwable t) {
                                f.completeExceptionally(t);
                            }
                        }, Runnable::run);
                created.add(f);
                if (created.size() > setupInFlight) {
                    created.get(created.size() - 1 - setupInFlight).handle((x, e) -> null).join();
                }
            }
            long onCut = 0;
            long failed = 0;
            for (CompletableFuture<KeyService> f : created) {
                try {
                    if (f.get(120, TimeUnit.SECONDS).getRoutes(0).getQkdlIdsList().contains(cut)) {
                        onCut++;
                    }
                } catch (java.util.concurrent.ExecutionException e) {
                    if (++failed <= 3) {
                        System.out.println("setup failed: " + io.grpc.Status.fromThrowable(e.getCause()));
                    }
                }
            }
            System.out.printf(Locale.ROOT, "bed: %d nodes, %d links; %,d %s services set up (%,d failed), %,d of them "
                    + "on the link to cut%n", bedOptions.nodes, bed.ring.linkCount(), services - failed, protection, failed, onCut);

            CountDownLatch moved = new CountDownLatch((int) onCut);
            AtomicLong lastNanos = new AtomicLong();
            AtomicLong firstNanos = new AtomicLong();
            java.util.Set<String> seen = java.util.concurrent.ConcurrentHashMap.newKeySet();
            KeyServiceListener listener = (s, removed) -> {
                if (!removed && s.getState() != KeyServiceState.KEY_SERVICE_STATE_PENDING
                        && (s.getRoutesCount() == 0 || !s.getRoutes(0).getQkdlIdsList().contains(cut))
                        && seen.add(s.getServiceId())) {
                    lastNanos.set(System.nanoTime());
                    firstNanos.compareAndSet(0, lastNanos.get());
                    moved.countDown();
                }
            };
            bed.controller.keyServiceManager().addListener(listener);
            long start = System.nanoTime();
            bed.controller.topologyAdminService().linkDown(a, cut);
            if (!moved.await(120, TimeUnit.SECONDS)) {
                System.out.println("FAILED: only " + (onCut - moved.getCount()) + " of " + onCut + " services moved in 120 s");
                return 1;
            }
            double ms = (lastNanos.get() - start) / 1e6;
            long active = 0;
            long missing = 0;
            bed.rereadRoutes();
            for (KeyService s : bed.controller.keyServiceManager().list()) {
                if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE) {
                    active++;
                    String routeId = s.getRoutes(0).getRouteId();
                    if (!bed.routeIdsAt(a).contains(routeId) || !bed.routeIdsAt(b).contains(routeId)) {
                        missing++;
                    }
                }
            }
            System.out.printf(Locale.ROOT, "recovery: %,d services off the cut link in %.1f ms (cut -> last route "
                    + "acknowledged by the kms-agents; the first after %.1f ms); %,d ACTIVE, %,d DEGRADED, routes "
                    + "missing in kms-agents: %,d%n", onCut, ms, (firstNanos.get() - start) / 1e6, active,
                    services - failed - active, missing);
            return missing == 0 ? 0 : 1;
        }
    }
}

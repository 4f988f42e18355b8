package org.qkdnf.controller.keyservice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_OFF;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.admission.SimpleReservationStore;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleKeyManagementStore;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.controller.km.KeyManagementGrpcService;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.PoolReport;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.BatchCreateKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResult;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * The key-service manager on the real topology manager, admission controller and key-management
 * manager; the key managers are scripted peers on an in-process Sk stream that acknowledge every
 * command. Topology: a square A-B-D, A-C-D (SKR 20 kbit/s each, so 10 kbit/s each way) and a node E
 * whose key manager never connects.
 */
class KeyServiceManagerTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String C = "c0000000-0000-4000-8000-00000000000c";
    static final String D = "d0000000-0000-4000-8000-00000000000d";
    static final String E = "e0000000-0000-4000-8000-00000000000e";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String BD = "bd000000-0000-4000-8000-0000000000bd";
    static final String AC = "ac000000-0000-4000-8000-0000000000ac";
    static final String CD = "cd000000-0000-4000-8000-0000000000cd";
    static final String AE = "ae000000-0000-4000-8000-0000000000ae";
    static final List<String> LINKS = List.of(AB, BD, AC, CD, AE);
    /** Every link's SKR: each direction (lane) gets half, 10 kbit/s. */
    static final long SKR_BPS = 20_000;
    static final Metadata.Key<String> PEER = Metadata.Key.of("test-peer", Metadata.ASCII_STRING_MARSHALLER);

    /** The kms identity from a header (PeerIdentityInterceptor needs TLS). */
    static final class TestIdentityInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            Context ctx = Context.current().withValue(PeerIdentity.CONTEXT_KEY,
                    new PeerIdentity(headers.get(PEER), "kms", "test"));
            return Contexts.interceptCall(ctx, call, headers, next);
        }
    }

    /**
     * A key manager that acknowledges every command, at once or, while {@link #hold} is set, when
     * {@link #release()} is called; it records the commands in arrival order.
     */
    final class AckingKms implements StreamObserver<ConnectResponse> {
        final CompletableFuture<Void> acked = new CompletableFuture<>();
        final AtomicLong seq = new AtomicLong();
        final StreamObserver<ConnectRequest> out;
        final List<KmsCommand> received = new CopyOnWriteArrayList<>();
        final List<KmsCommand> held = new ArrayList<>();
        volatile boolean hold;

        AckingKms(String node) {
            Metadata h = new Metadata();
            h.put(PEER, node);
            out = KeyManagementServiceGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)).connect(this);
            send(ConnectRequest.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(node).setKmeId("kme-" + node)
                    .setEtsi014Address("127.0.0.1:8443")));
        }

        synchronized void send(ConnectRequest.Builder r) {
            out.onNext(r.setSeq(seq.incrementAndGet()).build());
        }

        @Override
        public void onNext(ConnectResponse r) {
            if (r.hasHelloAck()) {
                acked.complete(null);
                return;
            }
            received.add(r.getCommand());
            synchronized (this) {
                if (hold) {
                    held.add(r.getCommand());
                    return;
                }
            }
            ack(r.getCommand());
        }

        void ack(KmsCommand c) {
            send(ConnectRequest.newBuilder().setCommandResult(CommandResult.newBuilder()
                    .setRequestId(c.getRequestId())
                    .setResult(OperationResult.newBuilder().setCode(Status.Code.OK.value()).setMessage("ok"))));
        }

        /** Acknowledges what was held and stops holding. */
        synchronized void release() {
            hold = false;
            held.forEach(this::ack);
            held.clear();
        }

        long installs() {
            return received.stream().filter(KmsCommand::hasInstallRoute).count();
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }

    private QkdTopologyManager topology;
    private AdmissionController admission;
    private ScheduledExecutorService scheduler;
    private KeyManagementManager km;
    private Server server;
    private ManagedChannel channel;
    private KeyServiceManager services;
    private final Map<String, AckingKms> kms = new java.util.HashMap<>();
    private final List<KeyService> events = new CopyOnWriteArrayList<>();

    @BeforeEach
    void setUp() throws Exception {
        topology = new QkdTopologyManager(new SimpleQkdTopologyStore());
        topology.applyInventory(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE), linkEnd(AC, A, C, QKDL_STATUS_ACTIVE),
                linkEnd(AE, A, E, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE), linkEnd(BD, B, D, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(C, linkEnd(AC, C, A, QKDL_STATUS_ACTIVE), linkEnd(CD, C, D, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(D, linkEnd(BD, D, B, QKDL_STATUS_ACTIVE), linkEnd(CD, D, C, QKDL_STATUS_ACTIVE)));
        topology.applyInventory(node(E, linkEnd(AE, E, A, QKDL_STATUS_ACTIVE)));
        for (String l : LINKS) {
            topology.applyPerformance(topology.getLink(l).orElseThrow().nodeIdA(), perf(l, QKDL_STATUS_ACTIVE, SKR_BPS, 0.01));
        }
        admission = new AdmissionController(new SimpleReservationStore(), 1.0);
        scheduler = Executors.newSingleThreadScheduledExecutor();
        km = new KeyManagementManager(new SimpleKeyManagementStore(), scheduler, ControllerSettings::defaults,
                Clock.systemUTC());
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(new KeyManagementGrpcService(km, "test-controller"),
                        new TestIdentityInterceptor()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
        for (String n : List.of(A, B, C, D)) {
            AckingKms k = new AckingKms(n);
            kms.put(n, k);
            k.acked.get(5, TimeUnit.SECONDS);
            k.send(ConnectRequest.newBuilder().setPoolReport(PoolReport.getDefaultInstance()));
            eventually(() -> km.getKmNode(n).map(x -> x.hasPoolReport()).orElse(false));
        }
        services = new KeyServiceManager(topology, admission, km, new SimpleKeyServiceStore(), Clock.systemUTC());
        services.addListener((s, removed) -> events.add(s));
        services.start();
        eventually(() -> LINKS.stream().allMatch(l -> admissibleEachWay(l) == 10_000));
    }

    @AfterEach
    void tearDown() throws Exception {
        services.close();
        channel.shutdownNow();
        server.shutdownNow();
        scheduler.shutdownNow();
        topology.close();
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met within 5 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    static KeyServiceSpec spec(String from, String to, long bps, Protection p) {
        return KeyServiceSpec.newBuilder().setMasterSaeId("sae-alice").setMasterQkdnId(from)
                .setSlaveSaeId("sae-bob").setSlaveQkdnId(to)
                .setQos(AppQos.newBuilder().setMinBandwidthBps(bps).setPriority(1)).setProtection(p).build();
    }

    private static <T> T ok(CompletableFuture<T> f) throws Exception {
        return f.get(10, TimeUnit.SECONDS);
    }

    private static Status statusOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(10, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
        throw new AssertionError("expected a failure");
    }

    /** What the admission controller admits on each direction of {@code link} (the smaller, should they differ). */
    private long admissibleEachWay(String link) {
        QkdLinkInfo l = topology.getLink(link).orElseThrow();
        return Math.min(admission.admissibleBps(LaneIds.of(link, l.nodeIdA())),
                admission.admissibleBps(LaneIds.of(link, l.nodeIdB())));
    }

    private long reservedBothWays(String link) {
        QkdLinkInfo l = topology.getLink(link).orElseThrow();
        return admission.reservedBps(LaneIds.of(link, l.nodeIdA())) + admission.reservedBps(LaneIds.of(link, l.nodeIdB()));
    }

    private void assertNothingReserved() throws InterruptedException {
        for (String l : LINKS) {
            assertThat(reservedBothWays(l)).as("reserved on " + l).isZero();
        }
        // Routes a reroute replaced are removed after the new ones were acknowledged, without
        // holding up the service's next operation: their removal may still be on the wire.
        eventually(() -> km.getKeyRoutes().isEmpty());
    }

    @Test
    void createRoutesReservesAndInstallsDeleteLeavesNothing() throws Exception {
        KeyService s = ok(services.create(spec(A, D, 2_000, Protection.PROTECTION_NONE)));

        assertThat(s.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(s.getRoutesCount()).isEqualTo(1);
        ServiceRoute r = s.getRoutes(0);
        assertThat(r.getQkdnIdsList()).hasSize(3).startsWith(A).endsWith(D);
        var snapshot = services.topologySnapshot();
        assertThat(snapshot.getNodesCount()).isEqualTo(5);
        assertThat(snapshot.getLinksList()).hasSize(5).allSatisfy(l -> {
            assertThat(l.getAdmissibleBps()).isEqualTo(10_000);
            boolean onRoute = r.getQkdlIdsList().contains(l.getQkdlId());
            // The route runs A -> x -> D: from end A of A-x, from end x of x-D (ends A, B, C in that order).
            assertThat(l.getReservedBpsAToB()).as("a to b").isEqualTo(onRoute ? 2_000 : 0);
            assertThat(l.getReservedBpsBToA()).as("b to a").isZero();
        });
        assertThat(r.getInstalled()).isTrue();
        for (int i = 0; i < r.getQkdlIdsCount(); i++) {
            assertThat(admission.reservedBps(LaneIds.of(r.getQkdlIds(i), r.getQkdnIds(i)))).isEqualTo(2_000);
            assertThat(admission.reservedBps(LaneIds.of(r.getQkdlIds(i), r.getQkdnIds(i + 1)))).as("the other way").isZero();
        }
        assertThat(km.getKeyRoute(r.getRouteId())).isPresent();
        assertThat(km.getKeyRoute(r.getRouteId()).get().getRoute().getBufferBits()).isEqualTo(65_536);
        assertThat(services.get(s.getServiceId())).contains(s);

        ok(services.delete(s.getServiceId()));
        assertNothingReserved();
        assertThat(services.list()).isEmpty();
        assertThat(statusOf(services.delete(s.getServiceId())).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void sameRequestSameRouteAndRateAwareSpreading() throws Exception {
        KeyService first = ok(services.create(spec(A, D, 6_000, Protection.PROTECTION_NONE)));
        // The first route has 4 kbit/s left: a second 6 kbit/s service must take the other side.
        KeyService second = ok(services.create(spec(A, D, 6_000, Protection.PROTECTION_NONE)));
        assertThat(second.getRoutes(0).getQkdnIds(1)).isNotEqualTo(first.getRoutes(0).getQkdnIds(1));
        // 4 + 4 kbit/s are left: even a split does not carry 9 kbit/s.
        Status full = statusOf(services.create(spec(A, D, 9_000, Protection.PROTECTION_NONE)));
        assertThat(full.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(full.getDescription()).contains("min_bandwidth_bps");
        assertThat(admission.overbooked()).isEmpty();
        ok(services.delete(first.getServiceId()));
        ok(services.delete(second.getServiceId()));
        assertNothingReserved();
    }

    @Test
    void badRequestsNameTheFieldAndLeaveNothing() throws Exception {
        KeyServiceSpec good = spec(A, D, 1_000, Protection.PROTECTION_NONE);
        assertThat(statusOf(services.create(good.toBuilder().clearQos().build())).getDescription()).contains("spec.qos");
        assertThat(statusOf(services.create(good.toBuilder().setMasterSaeId("").build())).getDescription())
                .contains("spec.master_sae_id");
        assertThat(statusOf(services.create(good.toBuilder().clearProtection().build())).getDescription())
                .contains("spec.protection");
        Status unknown = statusOf(services.create(good.toBuilder().setSlaveQkdnId("f0000000-0000-4000-8000-00000000000f")
                .build()));
        assertThat(unknown.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(unknown.getDescription()).contains("spec.slave_qkdn_id");
        Status avoidEnd = statusOf(services.create(good.toBuilder()
                .setConstraints(PathConstraints.newBuilder().addAvoidQkdnIds(D)).build()));
        assertThat(avoidEnd.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(avoidEnd.getDescription()).contains("spec.constraints.avoid_qkdn_ids[0]");
        assertThat(statusOf(services.create(good.toBuilder().setQos(AppQos.newBuilder().setMinBandwidthBps(100)
                .setMaxBandwidthBps(50)).build())).getDescription()).contains("spec.qos.max_bandwidth_bps");
        assertThat(statusOf(services.modify("not-a-uuid", good.getQos(), null)).getCode())
                .isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertNothingReserved();
    }

    @Test
    void keyManagerNotConnectedIsUnavailableAndReleasesTheReservation() throws Exception {
        Status s = statusOf(services.create(spec(A, E, 1_000, Protection.PROTECTION_NONE)));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains(E);
        assertNothingReserved();
        assertThat(services.list()).isEmpty();
    }

    /**
     * BatchCreateKeyServices through the gRPC face: each request is set up or refused on its own,
     * and the answer holds one result per request, in order, the refusals naming the request and
     * the field; refused requests leave nothing reserved or installed. A malformed batch is
     * refused whole.
     */
    @Test
    void batchCreateAnswersEachRequestInOrderAndRefusedOnesLeaveNothing() throws Exception {
        String name = InProcessServerBuilder.generateName();
        Server nc = InProcessServerBuilder.forName(name).addService(new KeyServiceGrpcService(services)).build().start();
        ManagedChannel ch = InProcessChannelBuilder.forName(name).directExecutor().build();
        try {
            var stub = KeyServiceServiceGrpc.newBlockingStub(ch);
            BatchCreateKeyServicesRequest.Builder batch = BatchCreateKeyServicesRequest.newBuilder()
                    .addRequests(CreateKeyServiceRequest.newBuilder().setSpec(spec(A, D, 1_000, Protection.PROTECTION_NONE)))
                    .addRequests(CreateKeyServiceRequest.getDefaultInstance())
                    .addRequests(CreateKeyServiceRequest.newBuilder().setSpec(spec(A, E, 1_000, Protection.PROTECTION_NONE)))
                    .addRequests(CreateKeyServiceRequest.newBuilder().setSpec(spec(A, B, 50_000, Protection.PROTECTION_NONE)))
                    .addRequests(CreateKeyServiceRequest.newBuilder().setSpec(spec(B, C, 1_000, Protection.PROTECTION_NONE)));
            List<CreateKeyServiceResult> results = stub.batchCreateKeyServices(batch.build()).getResultsList();

            assertThat(results).hasSize(5);
            assertThat(results.get(0).getService().getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
            assertThat(results.get(0).getService().getSpec().getSlaveQkdnId()).isEqualTo(D);
            assertThat(results.get(1).getError().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
            assertThat(results.get(1).getError().getMessage()).isEqualTo("requests[1].spec: required");
            assertThat(results.get(2).getError().getCode()).isEqualTo(Status.Code.UNAVAILABLE.value());
            assertThat(results.get(2).getError().getMessage()).startsWith("requests[2]: ").contains(E);
            assertThat(results.get(3).getError().getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED.value());
            assertThat(results.get(3).getError().getMessage()).startsWith("requests[3]").contains("min_bandwidth_bps");
            assertThat(results.get(4).getService().getSpec().getSlaveQkdnId()).isEqualTo(C);
            assertThat(services.list()).extracting(KeyService::getServiceId).containsExactlyInAnyOrder(
                    results.get(0).getService().getServiceId(), results.get(4).getService().getServiceId());
            assertThat(km.getKeyRoutes()).hasSize(2);
            assertThat(admission.reservations()).hasSize(2);

            for (int n : new int[] {0, KeyServiceGrpcService.MAX_BATCH + 1}) {
                BatchCreateKeyServicesRequest.Builder bad = BatchCreateKeyServicesRequest.newBuilder();
                for (int i = 0; i < n; i++) {
                    bad.addRequests(CreateKeyServiceRequest.newBuilder().setSpec(spec(A, D, 1, Protection.PROTECTION_NONE)));
                }
                assertThatThrownBy(() -> stub.batchCreateKeyServices(bad.build())).satisfies(e -> {
                    assertThat(Status.fromThrowable(e).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
                    assertThat(Status.fromThrowable(e).getDescription()).startsWith("requests: ");
                });
            }
            assertThat(services.list()).as("a malformed batch creates nothing").hasSize(2);
        } finally {
            ch.shutdownNow();
            nc.shutdownNow();
        }
    }

    @Test
    void constraintsAreHonouredAndQueryReservesNothing() throws Exception {
        KeyServiceSpec viaC = spec(A, D, 1_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(PathConstraints.newBuilder().addAvoidQkdnIds(B)).build();
        List<ServiceRoute> routes = ok(services.queryPaths(viaC));
        assertThat(routes).hasSize(1);
        assertThat(routes.get(0).getQkdnIdsList()).containsExactly(A, C, D);
        List<ServiceRoute> pair = ok(services.queryPaths(spec(A, D, 1_000, Protection.PROTECTION_ONE_PLUS_ONE)));
        assertThat(pair).hasSize(2);
        assertThat(pair.get(0).getQkdnIds(1)).isNotEqualTo(pair.get(1).getQkdnIds(1));
        assertThat(statusOf(services.queryPaths(viaC.toBuilder().setConstraints(PathConstraints.newBuilder()
                .setMaxHops(1)).build())).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertNothingReserved();
    }

    @Test
    void onePlusOneReservesBothAndSwitchesOnCut() throws Exception {
        KeyService s = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_ONE_PLUS_ONE)));
        assertThat(s.getRoutesCount()).isEqualTo(2);
        for (ServiceRoute r : s.getRoutesList()) {
            for (String l : r.getQkdlIdsList()) {
                assertThat(reservedBothWays(l)).isEqualTo(1_000);
            }
        }
        ServiceRoute working = s.getRoutes(0);
        ServiceRoute backup = s.getRoutes(1);
        assertThat(backup.getInstalled()).as("the standby is installed too").isTrue();
        assertThat(km.getKeyRoute(backup.getRouteId())).isPresent();
        assertThat(km.getKeyRoute(working.getRouteId())).isPresent();

        String cut = working.getQkdlIds(0);
        topology.applyPerformance(A, perf(cut, QKDL_STATUS_OFF, 0, 0.5));

        eventually(() -> services.get(s.getServiceId()).get().getReroutes() == 1);
        KeyService after = services.get(s.getServiceId()).get();
        assertThat(after.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(after.getRoutes(0).getQkdnIdsList()).isEqualTo(backup.getQkdnIdsList());
        assertThat(after.getRoutes(0).getRouteId()).as("switched to the installed standby, no new install")
                .isEqualTo(backup.getRouteId());
        assertThat(after.getRoutes(0).getInstalled()).isTrue();
        assertThat(after.getReason()).contains("rerouted").contains(cut).contains("unprotected");
        eventually(() -> km.getKeyRoute(working.getRouteId()).isEmpty());
        assertThat(km.getKeyRoute(after.getRoutes(0).getRouteId())).isPresent();
        assertThat(reservedBothWays(cut)).isZero();
        assertThat(admission.overbooked()).isEmpty();

        ok(services.delete(s.getServiceId()));
        assertNothingReserved();
    }

    @Test
    void restorationReroutesNoneDegradesAndBothComeBack() throws Exception {
        KeyService restoration = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_RESTORATION)));
        String middle = restoration.getRoutes(0).getQkdnIds(1);
        KeyService unprotected = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(PathConstraints.newBuilder().addViaQkdnIds(middle)).build()));
        // Cut the first link both use.
        String cut = restoration.getRoutes(0).getQkdlIds(0);
        assertThat(unprotected.getRoutes(0).getQkdlIds(0)).isEqualTo(cut);
        topology.applyPerformance(A, perf(cut, QKDL_STATUS_OFF, 0, 0.5));

        eventually(() -> services.get(unprotected.getServiceId()).get().getState()
                == KeyServiceState.KEY_SERVICE_STATE_DEGRADED
                && services.get(restoration.getServiceId()).get().getReroutes() == 1);
        KeyService moved = services.get(restoration.getServiceId()).get();
        assertThat(moved.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(moved.getRoutes(0).getQkdlIdsList()).doesNotContain(cut);
        KeyService degraded = services.get(unprotected.getServiceId()).get();
        assertThat(degraded.getReason()).contains(cut);
        assertThat(degraded.getRoutesList()).isEmpty();
        assertThat(admission.reservation(unprotected.getServiceId())).isEmpty();
        assertThat(admission.overbooked()).isEmpty();
        topology.applyPerformance(A, perf(cut, QKDL_STATUS_ACTIVE, SKR_BPS, 0.01));
        eventually(() -> services.list().stream().allMatch(x -> x.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
        assertThat(services.get(unprotected.getServiceId()).get().getReason()).isEqualTo("restored");
        List<String> routeIds = new ArrayList<>();
        for (KeyService x : services.list()) {
            routeIds.add(x.getRoutes(0).getRouteId());
        }
        eventually(() -> km.getKeyRoutes().size() == 2);
        assertThat(events).isNotEmpty();
        for (KeyService x : services.list()) {
            ok(services.delete(x.getServiceId()));
        }
        assertNothingReserved();
        assertThat(Map.copyOf(admission.overbooked())).isEmpty();
        assertThat(routeIds).doesNotHaveDuplicates();
    }

    @Test
    void modifyChangesTheRateAndMovesTheRouteMakeBeforeBreak() throws Exception {
        List<KeyService> watched = new CopyOnWriteArrayList<>();
        KeyService s = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_RESTORATION)));
        ok(services.subscribe((x, removed) -> watched.add(x)));
        ServiceRoute first = s.getRoutes(0);

        KeyService more = ok(services.modify(s.getServiceId(), s.getSpec().getQos().toBuilder()
                .setMinBandwidthBps(3_000).build(), null));
        assertThat(more.getRoutes(0).getRouteId()).as("same path: route kept").isEqualTo(first.getRouteId());
        for (String l : first.getQkdlIdsList()) {
            assertThat(reservedBothWays(l)).isEqualTo(3_000);
        }
        String middle = first.getQkdnIds(1);
        KeyService moved = ok(services.modify(s.getServiceId(), more.getSpec().getQos(),
                PathConstraints.newBuilder().addAvoidQkdnIds(middle).build()));
        assertThat(moved.getRoutes(0).getQkdnIdsList()).doesNotContain(middle);
        eventually(() -> km.getKeyRoute(first.getRouteId()).isEmpty()); // removed after the new one was acknowledged
        assertThat(km.getKeyRoute(moved.getRoutes(0).getRouteId())).isPresent();
        for (String l : first.getQkdlIdsList()) {
            assertThat(reservedBothWays(l)).isZero();
        }
        Status tooMuch = statusOf(services.modify(s.getServiceId(), more.getSpec().getQos().toBuilder()
                .setMinBandwidthBps(20_000).build(), null));
        assertThat(tooMuch.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(services.get(s.getServiceId())).contains(moved);
        assertThat(watched).extracting(KeyService::getServiceId).containsOnly(s.getServiceId());
        assertThat(watched.get(0)).isEqualTo(s);
        assertThat(watched.get(watched.size() - 1)).isEqualTo(moved);
        ok(services.delete(s.getServiceId()));
        assertNothingReserved();
    }

    @Test
    void setupInterruptedByACrashIsUndoneOnStart() throws Exception {
        SimpleKeyServiceStore store = new SimpleKeyServiceStore();
        String id = "5e000000-0000-4000-8000-000000000001";
        String routeId = "7e000000-0000-4000-8000-000000000001";
        KeyServiceSpec spec = spec(A, B, 1_000, Protection.PROTECTION_NONE);
        // What create() leaves behind when the controller dies between install and acknowledgement.
        store.save(KeyService.newBuilder().setServiceId(id).setSpec(spec).setState(KeyServiceState.KEY_SERVICE_STATE_PENDING)
                .addRoutes(ServiceRoute.newBuilder().setRouteId(routeId).addQkdnIds(A).addQkdnIds(B).addQkdlIds(AB))
                .build());
        assertThat(admission.reserve(id, 1, Map.of(LaneIds.of(AB, A), 1_000L), false).admitted()).isTrue();
        ok(km.installRoute(org.qkdnf.proto.keymgmt.v1.KeyRoute.newBuilder().setServiceId(routeId)
                .setMasterSaeId("sae-alice").setSlaveSaeId("sae-bob").addRouteQkdnIds(A).addRouteQkdnIds(B)
                .addRouteQkdlIds(AB).setRateBps(1_000).setBufferBits(65_536).build(), null));

        try (KeyServiceManager restarted = new KeyServiceManager(topology, admission, km, store, Clock.systemUTC())) {
            restarted.start();
            eventually(() -> store.loadAll().isEmpty() && km.getKeyRoutes().isEmpty());
            assertThat(restarted.list()).isEmpty();
            assertNothingReserved();
        }
    }

    /**
     * No overbooking and no leaks at the service level: 2,000 concurrent creates, modifies and
     * deletes from four threads (priorities mixed, so setups also pre-empt) interleaved with link
     * cuts, repairs and key-rate changes; after every step no link carries more than it admits, a
     * deleted service holds no reservation, and no DEGRADED or FAILED service lists a route; at the end
     * deleting everything leaves nothing reserved and no route in the key managers.
     */
    @Test
    void randomisedConcurrentRequestsWithLinkFailuresNeverOverbook() throws Exception {
        List<String> ends = List.of(A, B, C, D);
        Protection[] protections = {Protection.PROTECTION_NONE, Protection.PROTECTION_ONE_PLUS_ONE,
                Protection.PROTECTION_RESTORATION};
        List<String> violations = new CopyOnWriteArrayList<>();
        var pool = Executors.newFixedThreadPool(5);
        try {
            List<java.util.concurrent.Future<?>> done = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                long seed = 42 + t;
                done.add(pool.submit(() -> {
                    java.util.Random rnd = new java.util.Random(seed);
                    List<String> mine = new ArrayList<>();
                    for (int i = 0; i < 500; i++) {
                        try {
                            int op = rnd.nextInt(10);
                            if (op < 5 || mine.isEmpty()) {
                                String from = ends.get(rnd.nextInt(4));
                                String to = ends.get(rnd.nextInt(4));
                                if (from.equals(to)) {
                                    continue;
                                }
                                KeyServiceSpec sp = spec(from, to, 500 + rnd.nextInt(3_000),
                                        protections[rnd.nextInt(3)]).toBuilder()
                                        .setQos(AppQos.newBuilder().setMinBandwidthBps(500 + rnd.nextInt(3_000))
                                                .setPriority(rnd.nextInt(4))).build();
                                services.create(sp).handle((x, e) -> x == null ? null : mine.add(x.getServiceId()))
                                        .get(10, TimeUnit.SECONDS);
                            } else if (op < 7) {
                                String id = mine.get(rnd.nextInt(mine.size()));
                                services.modify(id, AppQos.newBuilder().setMinBandwidthBps(500 + rnd.nextInt(3_000))
                                        .build(), null).handle((x, e) -> null).get(10, TimeUnit.SECONDS);
                            } else {
                                String id = mine.remove(rnd.nextInt(mine.size()));
                                services.delete(id).get(10, TimeUnit.SECONDS);
                                if (admission.reservation(id).isPresent()) {
                                    violations.add("deleted service " + id + " still holds a reservation");
                                }
                            }
                        } catch (Exception e) {
                            violations.add("request failed unexpectedly: " + e);
                        }
                        if (!admission.overbooked().isEmpty()) {
                            violations.add("overbooked: " + admission.overbooked().keySet());
                        }
                        for (KeyService x : services.list()) {
                            if (x.getState() != KeyServiceState.KEY_SERVICE_STATE_ACTIVE && !x.getRoutesList().isEmpty()) {
                                violations.add(x.getState() + " service " + x.getServiceId() + " lists routes");
                            }
                        }
                    }
                    return null;
                }));
            }
            done.add(pool.submit(() -> {
                java.util.Random rnd = new java.util.Random(7);
                for (int i = 0; i < 400; i++) {
                    String l = List.of(AB, BD, AC, CD).get(rnd.nextInt(4));
                    int kind = rnd.nextInt(3);
                    topology.applyPerformance(topology.getLink(l).orElseThrow().nodeIdA(), kind == 0
                            ? perf(l, QKDL_STATUS_OFF, 0, 0.5)
                            : perf(l, QKDL_STATUS_ACTIVE, kind == 1 ? SKR_BPS : 4_000 + rnd.nextInt(16_000), 0.01));
                    if (!admission.overbooked().isEmpty()) {
                        violations.add("overbooked: " + admission.overbooked().keySet());
                    }
                    Thread.sleep(2);
                }
                return null;
            }));
            for (var f : done) {
                f.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
        assertThat(violations).isEmpty();
        for (KeyService x : services.list()) {
            ok(services.delete(x.getServiceId()));
        }
        assertNothingReserved();
    }

    @Test
    void serviceExpiresAfterItsTtl() throws Exception {
        List<Boolean> removals = new CopyOnWriteArrayList<>();
        services.addListener((x, removed) -> removals.add(removed));
        KeyServiceSpec sp = spec(A, D, 1_000, Protection.PROTECTION_NONE);
        KeyService s = ok(services.create(sp.toBuilder().setQos(sp.getQos().toBuilder().setTtlS(1)).build()));
        assertThat(s.getSpec().getQos().getTtlS()).as("ttl becomes expires_at").isZero();
        assertThat(s.getSpec().getQos().hasExpiresAt()).isTrue();
        assertThat(km.getKeyRoutes()).hasSize(1);
        eventually(() -> services.list().isEmpty());
        assertNothingReserved();
        eventually(() -> removals.size() == 2);
        assertThat(removals).containsExactly(false, true);
    }

    @Test
    void rerouteInterruptedByACrashIsUndoneOnStart() throws Exception {
        KeyService s = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_RESTORATION)));
        services.close();
        // The write-ahead entry of a reroute whose install reached the key managers before the crash.
        String routeId = "7e000000-0000-4000-8000-000000000002";
        ServiceRoute inFlight = ServiceRoute.newBuilder().setRouteId(routeId).addQkdnIds(A).addQkdnIds(B)
                .addQkdnIds(D).addQkdlIds(AB).addQkdlIds(BD).build();
        SimpleKeyServiceStore store = new SimpleKeyServiceStore();
        store.save(s.toBuilder().addRoutes(inFlight).build());
        ok(km.installRoute(org.qkdnf.proto.keymgmt.v1.KeyRoute.newBuilder().setServiceId(routeId)
                .setMasterSaeId("sae-alice").setSlaveSaeId("sae-bob").addAllRouteQkdnIds(inFlight.getQkdnIdsList())
                .addAllRouteQkdlIds(inFlight.getQkdlIdsList()).setRateBps(1_000).setBufferBits(65_536).build(), null));

        services = new KeyServiceManager(topology, admission, km, store, Clock.systemUTC());
        services.start();
        eventually(() -> km.getKeyRoute(routeId).isEmpty()
                && services.get(s.getServiceId()).map(x -> x.getRoutesCount() == 1).orElse(false));
        assertThat(services.get(s.getServiceId())).contains(s);
        assertThat(km.getKeyRoute(s.getRoutes(0).getRouteId())).isPresent();
        ok(services.delete(s.getServiceId()));
        assertNothingReserved();
    }
    /** A store whose flushes complete only when the test says so (while {@code hold} is set). */
    static final class HeldFlushStore implements KeyServiceStore {
        private final SimpleKeyServiceStore records = new SimpleKeyServiceStore();
        private final List<CompletableFuture<Void>> held = new ArrayList<>();
        private boolean hold;

        @Override
        public Collection<KeyService> loadAll() {
            return records.loadAll();
        }

        @Override
        public void save(KeyService service) {
            records.save(service);
        }

        @Override
        public void remove(String serviceId) {
            records.remove(serviceId);
        }

        @Override
        public synchronized CompletableFuture<Void> flush() {
            if (!hold) {
                return CompletableFuture.completedFuture(null);
            }
            CompletableFuture<Void> f = new CompletableFuture<>();
            held.add(f);
            return f;
        }

        synchronized void hold() {
            hold = true;
        }

        synchronized int waiting() {
            return held.size();
        }

        /** Completes the flushes asked for so far; later ones are held again. */
        void releaseHeld() {
            List<CompletableFuture<Void>> now;
            synchronized (this) {
                now = new ArrayList<>(held);
                held.clear();
            }
            now.forEach(f -> f.complete(null));
        }
    }

    /**
     * Returns once the owner thread ran everything queued so far, such as the publication of a
     * setup's ACTIVE, which asks for a flush of its own: asked while nothing is held, so a test
     * holding flushes afterwards holds only those of what it does next.
     */
    private void ownerThreadCaughtUp() throws Exception {
        ok(services.queryPaths(spec(A, D, 1, Protection.PROTECTION_NONE)));
    }

    /** Replaces the manager by one over a {@link HeldFlushStore}, returned. */
    private HeldFlushStore managerOverHeldFlushes() {
        services.close();
        HeldFlushStore store = new HeldFlushStore();
        services = new KeyServiceManager(topology, admission, km, store, Clock.systemUTC());
        services.start();
        return store;
    }

    /**
     * Make-before-break with a crash in mind: a reroute's old route leaves the key managers only
     * once the record naming the new route is durable (before, a crash would leave a record whose
     * only installed route is gone, and restart repair would drop the new one as interrupted).
     */
    @Test
    void aReroutesOldRouteIsRemovedOnlyOnceTheNewRecordIsDurable() throws Exception {
        HeldFlushStore store = managerOverHeldFlushes();
        KeyService s = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_RESTORATION)));
        String oldRoute = s.getRoutes(0).getRouteId();
        String cut = s.getRoutes(0).getQkdlIds(0);
        ownerThreadCaughtUp();

        store.hold();
        topology.applyPerformance(A, perf(cut, QKDL_STATUS_OFF, 0, 0.5));
        eventually(() -> store.waiting() > 0); // the new route's write-ahead
        store.releaseHeld();
        eventually(() -> services.get(s.getServiceId()).orElseThrow().getReroutes() == 1);
        eventually(() -> store.waiting() > 0); // the record naming the new route
        Thread.sleep(50);
        assertThat(km.getKeyRoute(oldRoute)).as("old route kept until the new record is durable").isPresent();
        assertThat(km.getKeyRoute(oldRoute).get().getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);

        store.releaseHeld();
        eventually(() -> km.getKeyRoute(oldRoute).isEmpty());
        String newRoute = services.get(s.getServiceId()).orElseThrow().getRoutes(0).getRouteId();
        assertThat(km.getKeyRoute(newRoute)).isPresent();
    }

    /** The same crash window at a 1+1 switch: the dead route stays installed until the switch is durable. */
    @Test
    void aOnePlusOneSwitchRemovesTheDeadRouteOnlyOnceTheSwitchIsDurable() throws Exception {
        HeldFlushStore store = managerOverHeldFlushes();
        KeyService s = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_ONE_PLUS_ONE)));
        String dead = s.getRoutes(0).getRouteId();
        ownerThreadCaughtUp();

        store.hold();
        topology.applyPerformance(A, perf(s.getRoutes(0).getQkdlIds(0), QKDL_STATUS_OFF, 0, 0.5));
        eventually(() -> services.get(s.getServiceId()).orElseThrow().getReroutes() == 1);
        eventually(() -> store.waiting() > 0); // the record naming the survivor alone
        Thread.sleep(50);
        assertThat(km.getKeyRoute(dead)).as("dead route kept until the switch is durable").isPresent();

        store.releaseHeld();
        eventually(() -> km.getKeyRoute(dead).isEmpty());
    }

    /**
     * A listener (the Nc watch) hears of a state only once it is durable: with the store's flush
     * of a setup's ACTIVE record held, the service is committed (reads see it) but neither
     * answered nor told to a listener, nor to a watcher subscribing meanwhile; once the flush
     * completes, all three hear of it. The same for a delete.
     */
    @Test
    void listenersHearOfAStateOnlyOnceItIsDurable() throws Exception {
        HeldFlushStore store = managerOverHeldFlushes();
        List<String> heard = new CopyOnWriteArrayList<>();
        services.addListener((x, removed) -> heard.add((removed ? "removed " : "") + x.getState()));
        store.hold();
        CompletableFuture<KeyService> created = services.create(spec(A, D, 1_000, Protection.PROTECTION_NONE));
        eventually(() -> store.waiting() > 0); // the write-ahead
        store.releaseHeld();
        eventually(() -> !services.list().isEmpty());
        eventually(() -> store.waiting() > 0); // the ACTIVE record
        List<String> subscriber = new CopyOnWriteArrayList<>();
        ok(services.subscribe((x, removed) -> subscriber.add(x.getServiceId())));
        Thread.sleep(50);
        assertThat(services.list().get(0).getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(created).isNotDone();
        assertThat(heard).as("told before durable").isEmpty();
        assertThat(subscriber).as("shown to a new watcher before durable").isEmpty();

        store.releaseHeld();
        KeyService s = ok(created);
        eventually(() -> heard.size() == 1 && subscriber.size() == 1);
        assertThat(heard).containsExactly("KEY_SERVICE_STATE_ACTIVE");
        assertThat(subscriber).containsExactly(s.getServiceId());

        CompletableFuture<Void> deleted = services.delete(s.getServiceId());
        eventually(() -> services.list().isEmpty() && store.waiting() > 0);
        Thread.sleep(50);
        assertThat(heard).as("removal told before durable").hasSize(1);
        store.releaseHeld();
        ok(deleted);
        assertThat(heard).as("told before the delete is answered")
                .containsExactly("KEY_SERVICE_STATE_ACTIVE", "removed KEY_SERVICE_STATE_ACTIVE");
    }

    /**
     * The owner thread does not wait for acknowledgements: with the key managers holding every
     * answer, all the setups' installs reach them; once they answer, every setup completes ACTIVE.
     */
    @Test
    void setupsArePipelinedNotSerializedOnTheAcknowledgements() throws Exception {
        kms.values().forEach(k -> k.hold = true);
        List<CompletableFuture<KeyService>> creates = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            creates.add(services.create(spec(A, i % 2 == 0 ? B : C, 100, Protection.PROTECTION_NONE)));
        }
        eventually(() -> kms.get(A).installs() == 20);
        assertThat(creates).noneMatch(CompletableFuture::isDone);
        assertThat(services.list()).as("a service exists only once ACTIVE").isEmpty();

        kms.values().forEach(AckingKms::release);
        for (CompletableFuture<KeyService> f : creates) {
            assertThat(ok(f).getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        }
        assertThat(km.getKeyRoutes()).hasSize(20);
    }

    /**
     * Recovery re-plans every displaced service and sends all their installs in one pass; a delete
     * issued meanwhile waits for its service's reroute, so the removal follows the install.
     */
    @Test
    void recoverySendsEveryRerouteInOnePassAndADeleteWaitsForItsInstall() throws Exception {
        List<KeyService> created = new ArrayList<>();
        for (int i = 0; i < 10; i++) {
            created.add(ok(services.create(spec(A, D, 100, Protection.PROTECTION_RESTORATION))));
        }
        String cut = created.get(0).getRoutes(0).getQkdlIds(0);
        List<KeyService> affected = new ArrayList<>();
        for (KeyService x : created) {
            if (x.getRoutes(0).getQkdlIdsList().contains(cut)) {
                affected.add(x);
            }
        }
        long before = kms.get(A).installs();
        kms.values().forEach(k -> k.hold = true);
        topology.applyPerformance(A, perf(cut, QKDL_STATUS_OFF, 0, 0.5));
        eventually(() -> kms.get(A).installs() == before + affected.size());
        KeyService victim = affected.get(0);
        CompletableFuture<Void> deleted = services.delete(victim.getServiceId());
        Thread.sleep(50);
        assertThat(deleted).as("waits for the reroute in flight").isNotDone();

        kms.values().forEach(AckingKms::release);
        ok(deleted);
        eventually(() -> affected.stream().skip(1).allMatch(x -> services.get(x.getServiceId()).get().getReroutes() == 1));
        List<KmsCommand> seen = kms.get(A).received;
        List<String> installedThenRemoved = new ArrayList<>();
        for (int i = (int) before; i < seen.size(); i++) {
            if (seen.get(i).hasInstallRoute()) {
                String id = seen.get(i).getInstallRoute().getRoute().getServiceId();
                for (int j = 0; j < seen.size(); j++) {
                    if (seen.get(j).hasRemoveRoute() && seen.get(j).getRemoveRoute().getServiceId().equals(id)) {
                        assertThat(j).as("removal of route " + id + " after its install").isGreaterThan(i);
                        installedThenRemoved.add(id);
                    }
                }
            }
        }
        assertThat(installedThenRemoved).as("only the deleted service's new route").hasSize(1);
        assertThat(admission.overbooked()).isEmpty();
        for (KeyService x : services.list()) {
            ok(services.delete(x.getServiceId()));
        }
        assertNothingReserved();
    }

    /**
     * A crash between a reroute's reservation change and its record: the restarted manager finds
     * a reservation that does not match the record's routes (and one with no record at all),
     * releases them and recovers the service onto reserved, installed routes.
     */
    @Test
    void reservationThatDisagreesWithTheRecordAfterACrashIsRepaired() throws Exception {
        KeyService s = ok(services.create(spec(A, D, 1_000, Protection.PROTECTION_RESTORATION)));
        services.close();
        boolean viaB = s.getRoutes(0).getQkdnIds(1).equals(B);
        Map<String, Long> moved = new java.util.TreeMap<>();
        moved.put(viaB ? LaneIds.of(AC, A) : LaneIds.of(AB, A), 1_000L);
        moved.put(viaB ? LaneIds.of(CD, C) : LaneIds.of(BD, B), 1_000L);
        assertThat(admission.reserve(s.getServiceId(), 1, moved, false).admitted()).isTrue();
        String orphan = "0f000000-0000-4000-8000-000000000001";
        assertThat(admission.reserve(orphan, 1, Map.of(LaneIds.of(AB, A), 500L), false).admitted()).isTrue();
        SimpleKeyServiceStore store = new SimpleKeyServiceStore();
        store.save(s);

        services = new KeyServiceManager(topology, admission, km, store, Clock.systemUTC());
        services.start();
        eventually(() -> admission.reservation(orphan).isEmpty() && admission.reservation(s.getServiceId())
                .map(r -> r.rateBpsByLane().equals(RoutePlanner.rates(s.getSpec(),
                        services.get(s.getServiceId()).get().getRoutesList()))).orElse(false));
        KeyService after = services.get(s.getServiceId()).get();
        assertThat(after.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(km.getKeyRoute(after.getRoutes(0).getRouteId())).isPresent();
        ok(services.delete(s.getServiceId()));
        eventually(() -> km.getKeyRoutes().isEmpty());
        assertNothingReserved();
    }
    /**
     * Pre-emption at setup: a higher-priority request that nothing else carries displaces the
     * lower-priority service holding the link, which is then recovered (here DEGRADED, being
     * unprotected); with the switch off the same request is refused and nothing moves.
     */
    @Test
    void higherPriorityPreemptsLowerOnlyWhenTheSwitchIsOn() throws Exception {
        KeyServiceSpec low = spec(A, B, 9_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(PathConstraints.newBuilder().setMaxHops(1)).build();
        KeyService victim = ok(services.create(low));
        KeyServiceSpec high = low.toBuilder().setMasterSaeId("sae-carol").setSlaveSaeId("sae-dave")
                .setQos(low.getQos().toBuilder().setMinBandwidthBps(5_000).setPriority(5)).build();

        topology.updateSettings(topology.settings().withKeyServicePreemption(false));
        assertThat(statusOf(services.create(high)).getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertThat(services.get(victim.getServiceId()).get().getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);

        topology.updateSettings(topology.settings().withKeyServicePreemption(true));
        KeyService winner = ok(services.create(high));
        assertThat(winner.getRoutes(0).getQkdlIdsList()).containsExactly(AB);
        eventually(() -> services.get(victim.getServiceId()).get().getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED);
        KeyService displaced = services.get(victim.getServiceId()).get();
        assertThat(displaced.getReason()).contains("pre-empted by key service " + winner.getServiceId());
        assertThat(displaced.getRoutesList()).isEmpty();
        assertThat(admission.reservation(victim.getServiceId())).isEmpty();
        eventually(() -> km.getKeyRoutes().size() == 1);
        assertThat(admission.overbooked()).isEmpty();

        ok(services.delete(winner.getServiceId()));
        eventually(() -> services.get(victim.getServiceId()).get().getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(services.get(victim.getServiceId()).get().getReason()).isEqualTo("restored");
        ok(services.delete(victim.getServiceId()));
        assertNothingReserved();
    }

    /** A service DEGRADED for longer than the retry window becomes FAILED, holding nothing; it can be deleted. */
    @Test
    void degradedBeyondTheRetryWindowBecomesFailedAndHoldsNothing() throws Exception {
        topology.updateSettings(topology.settings().withDegradedRetryWindow(java.time.Duration.ofMillis(200)));
        KeyService s = ok(services.create(spec(A, B, 1_000, Protection.PROTECTION_NONE)));
        topology.applyPerformance(A, perf(s.getRoutes(0).getQkdlIds(0), QKDL_STATUS_OFF, 0, 0.5));

        eventually(() -> services.get(s.getServiceId()).get().getState() == KeyServiceState.KEY_SERVICE_STATE_FAILED);
        KeyService failed = services.get(s.getServiceId()).get();
        assertThat(failed.getReason()).contains("degraded for longer than").contains(s.getRoutes(0).getQkdlIds(0));
        assertThat(failed.getRoutesList()).isEmpty();
        assertThat(statusOf(services.modify(s.getServiceId(), s.getSpec().getQos(), null)).getCode())
                .isEqualTo(Status.Code.FAILED_PRECONDITION);
        topology.applyPerformance(A, perf(s.getRoutes(0).getQkdlIds(0), QKDL_STATUS_ACTIVE, SKR_BPS, 0.01));
        eventually(() -> LINKS.stream().allMatch(l -> admissibleEachWay(l) == 10_000));
        assertThat(services.get(s.getServiceId()).get().getState()).as("FAILED is not retried")
                .isEqualTo(KeyServiceState.KEY_SERVICE_STATE_FAILED);
        eventually(() -> km.getKeyRoutes().isEmpty());
        assertNothingReserved();
        ok(services.delete(s.getServiceId()));
        assertThat(services.list()).isEmpty();
    }

    /** A shorter retry window applied to a service already DEGRADED under a long one makes it FAILED. */
    @Test
    void aNewRetryWindowReachesServicesAlreadyDegraded() throws Exception {
        topology.updateSettings(topology.settings().withDegradedRetryWindow(java.time.Duration.ofHours(1)));
        KeyService s = ok(services.create(spec(A, B, 1_000, Protection.PROTECTION_NONE)));
        topology.applyPerformance(A, perf(s.getRoutes(0).getQkdlIds(0), QKDL_STATUS_OFF, 0, 0.5));
        eventually(() -> services.get(s.getServiceId()).get().getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED);

        topology.updateSettings(topology.settings().withDegradedRetryWindow(java.time.Duration.ofMillis(200)));
        ok(services.degradedRetryWindowChanged());

        eventually(() -> services.get(s.getServiceId()).get().getState() == KeyServiceState.KEY_SERVICE_STATE_FAILED);
        assertThat(services.get(s.getServiceId()).get().getReason()).contains("degraded for longer than PT0.2S");
        assertNothingReserved();
    }

    /**
     * Capacity that comes back while a displaced service's DEGRADED record is still being made
     * durable restores it at once: the retry waits behind that operation instead of being skipped
     * until the periodic retry ({@value KeyServiceManager#DEGRADED_RETRY_INTERVAL_S} s later; it
     * failed CI once in the ONOS policy test).
     */
    @Test
    void capacityBackWhileADegradeIsInFlightRestoresTheServiceAtOnce() throws Exception {
        HeldFlushStore store = managerOverHeldFlushes();
        KeyServiceSpec oneHop = spec(A, B, 2_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(PathConstraints.newBuilder().setMaxHops(1)).build();
        for (int n = 0; n < 4; n++) {
            ok(services.create(oneHop));
        }
        ownerThreadCaughtUp();

        store.hold();
        CompletableFuture<Void> lowered = services.setAdmissibleFraction(0.5);
        eventually(() -> services.list().stream()
                .filter(x -> x.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED).count() == 2);
        CompletableFuture<Void> raised = services.setAdmissibleFraction(1.0);
        eventually(() -> {
            store.releaseHeld();
            return lowered.isDone() && raised.isDone() && services.list().stream()
                    .allMatch(x -> x.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        });
        assertThat(admission.overbooked()).isEmpty();
    }

    /**
     * The key managers give each direction of a link only its lane, half the link's key: so the
     * controller admits each direction against half the SKR. Services all running A to B fill
     * their direction at 10 of the link's 20 kbit/s and the next one is refused naming the lane,
     * while B to A still takes its own 10 kbit/s.
     */
    @Test
    void eachDirectionOfALinkIsAdmittedAgainstItsOwnHalfOfTheKey() throws Exception {
        PathConstraints direct = PathConstraints.newBuilder().setMaxHops(1).build();
        for (int n = 0; n < 2; n++) {
            ok(services.create(spec(A, B, 5_000, Protection.PROTECTION_NONE).toBuilder().setConstraints(direct).build()));
        }
        assertThat(admission.reservedBps(LaneIds.of(AB, A))).isEqualTo(10_000);

        Status full = statusOf(services.create(spec(A, B, 1_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(direct).build()));
        assertThat(full.getCode()).isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        KeyService back = ok(services.create(spec(B, A, 10_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(direct).build()));

        assertThat(back.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        assertThat(admission.reservedBps(LaneIds.of(AB, B))).isEqualTo(10_000);
        assertThat(services.topologySnapshot().getLinksList()).filteredOn(l -> l.getQkdlId().equals(AB))
                .singleElement().satisfies(l -> {
                    assertThat(l.getAdmissibleBps()).isEqualTo(10_000);
                    assertThat(l.getReservedBpsAToB() + l.getReservedBpsBToA()).isEqualTo(20_000);
                });
        assertThat(admission.overbooked()).isEmpty();
    }

    /**
     * A lowered admissible fraction displaces the newest services over the new limit while the
     * manager keeps serving; raising it restores them; a fraction out of range is refused naming it.
     */
    @Test
    void aNewAdmissibleFractionDisplacesAndRestoresWithoutARestart() throws Exception {
        KeyServiceSpec oneHop = spec(A, B, 2_000, Protection.PROTECTION_NONE).toBuilder()
                .setConstraints(PathConstraints.newBuilder().setMaxHops(1)).build();
        List<KeyService> created = new ArrayList<>();
        for (int n = 0; n < 4; n++) {
            created.add(ok(services.create(oneHop)));
        }

        ok(services.setAdmissibleFraction(0.5));
        assertThat(admissibleEachWay(AB)).isEqualTo(5_000);
        assertThat(admission.overbooked()).isEmpty();
        eventually(() -> services.list().stream()
                .filter(x -> x.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED).count() == 2);
        for (KeyService newer : created.subList(2, 4)) {
            KeyService now = services.get(newer.getServiceId()).get();
            assertThat(now.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_DEGRADED);
            assertThat(now.getReason()).contains("admissible fraction lowered to 0.5");
        }
        // Still serving: a request that fits the new limit is admitted at once.
        KeyService small = ok(services.create(oneHop.toBuilder()
                .setQos(oneHop.getQos().toBuilder().setMinBandwidthBps(1_000)).build()));
        assertThat(small.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        ok(services.delete(small.getServiceId()));

        ok(services.setAdmissibleFraction(1.0));
        eventually(() -> services.list().stream().allMatch(x -> x.getState() == KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
        assertThat(admission.overbooked()).isEmpty();

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> services.setAdmissibleFraction(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("admissible_fraction");
        for (KeyService x : services.list()) {
            ok(services.delete(x.getServiceId()));
        }
        assertNothingReserved();
    }

    /** Nc topology watch: the snapshot first, then a link's status change; a performance jitter is not re-sent. */
    @Test
    void topologyWatchSendsTheSnapshotThenChanges() throws Exception {
        List<org.qkdnf.proto.northbound.v1.WatchTopologyResponse> seen = new CopyOnWriteArrayList<>();
        ok(services.watchTopology(seen::add));
        assertThat(seen).hasSize(1);
        assertThat(seen.get(0).getSnapshot().getLinksCount()).isEqualTo(5);
        assertThat(seen.get(0).getSnapshot().getNodesCount()).isEqualTo(5);

        topology.applyPerformance(A, perf(AB, QKDL_STATUS_ACTIVE, SKR_BPS + 200, 0.01)); // jitter: not sent
        topology.applyPerformance(A, perf(AB, QKDL_STATUS_OFF, 0, 0.5));
        eventually(() -> seen.size() >= 2);
        Thread.sleep(50);
        assertThat(seen).hasSize(2);
        assertThat(seen.get(1).getLink().getQkdlId()).isEqualTo(AB);
        assertThat(seen.get(1).getLink().getStatus()).isEqualTo(QKDL_STATUS_OFF);
        assertThat(seen.get(1).getLink().getAdmissibleBps()).isZero();
        assertThat(seen.get(1).getRemoved()).isFalse();
    }
    /**
     * Pool level in the cost: of two equally long routes, the one whose key managers report fuller
     * lanes in the direction of relay wins. Key stored the other way does not count: the first
     * route's lanes are full from D towards A only, the other's from A towards D.
     */
    @Test
    void fullerPoolsWinBetweenEquallyLongRoutes() throws Exception {
        KeyService first = ok(services.create(spec(A, D, 100, Protection.PROTECTION_NONE)));
        String chosen = first.getRoutes(0).getQkdnIds(1);
        ok(services.delete(first.getServiceId()));
        String other = chosen.equals(B) ? C : B;
        Map<String, List<String>> linksOf = Map.of(A, List.of(AB, AC), B, List.of(AB, BD), C, List.of(AC, CD),
                D, List.of(BD, CD));
        Map<String, List<String>> ends = Map.of(AB, List.of(A, B), AC, List.of(A, C), BD, List.of(B, D), CD, List.of(C, D));
        for (String n : List.of(A, B, C, D)) {
            org.qkdnf.proto.keymgmt.v1.KmsInventory.Builder inv = org.qkdnf.proto.keymgmt.v1.KmsInventory.newBuilder();
            PoolReport.Builder pools = PoolReport.newBuilder();
            for (String l : linksOf.get(n)) {
                String peer = ends.get(l).get(0).equals(n) ? ends.get(l).get(1) : ends.get(l).get(0);
                inv.addKmLinks(org.qkdnf.proto.keymgmt.v1.KmLink.newBuilder().setQkdlId(l).setNeighbourQkdnId(peer));
                boolean onOther = l.equals(other.equals(B) ? AB : AC) || l.equals(other.equals(B) ? BD : CD);
                // ends.get(l).get(0) relays towards D, get(1) towards A; both ends hold both lanes.
                String fullOwner = ends.get(l).get(onOther ? 0 : 1);
                for (String owner : ends.get(l)) {
                    pools.addPools(org.qkdnf.proto.keymgmt.v1.PoolLevel.newBuilder().setQkdlId(l).setOwnerQkdnId(owner)
                            .setMaxBits(10_000_000).setAvailableBits(owner.equals(fullOwner) ? 10_000_000 : 0));
                }
            }
            kms.get(n).send(ConnectRequest.newBuilder().setInventory(inv));
            kms.get(n).send(ConnectRequest.newBuilder().setPoolReport(pools));
        }
        eventually(() -> km.getKmLinks().size() == 4
                && km.getKmLinks().stream().allMatch(l -> l.getLevelsACount() == 2 && l.getLevelsBCount() == 2));
        Thread.sleep(PoolLevels.REFRESH_MS + 50); // let the planner's cached levels expire

        KeyService second = ok(services.create(spec(A, D, 100, Protection.PROTECTION_NONE)));
        assertThat(second.getRoutes(0).getQkdnIds(1)).as("via the fuller pools").isEqualTo(other);
        ok(services.delete(second.getServiceId()));
        assertNothingReserved();
    }
    /** Split: no single route carries 15 kbit/s, two do; both reserved at their share and installed, all or nothing. */
    @Test
    void rateNoSingleRouteCarriesIsSplitOverSeveralRoutes() throws Exception {
        assertThat(statusOf(services.create(spec(A, D, 25_000, Protection.PROTECTION_NONE))).getCode())
                .isEqualTo(Status.Code.RESOURCE_EXHAUSTED);
        assertNothingReserved();

        KeyService s = ok(services.create(spec(A, D, 15_000, Protection.PROTECTION_RESTORATION)));
        assertThat(s.getRoutesCount()).isEqualTo(2);
        assertThat(s.getReason()).contains("split over 2 routes");
        assertThat(s.getRoutesList()).allMatch(ServiceRoute::getInstalled);
        assertThat(s.getRoutes(0).getRateBps() + s.getRoutes(1).getRateBps()).isEqualTo(15_000);
        for (ServiceRoute r : s.getRoutesList()) {
            for (int i = 0; i < r.getQkdlIdsCount(); i++) {
                assertThat(admission.reservedBps(LaneIds.of(r.getQkdlIds(i), r.getQkdnIds(i)))).isEqualTo(r.getRateBps());
            }
            assertThat(km.getKeyRoute(r.getRouteId()).orElseThrow().getRoute().getRateBps()).isEqualTo(r.getRateBps());
        }
        assertThat(admission.overbooked()).isEmpty();
        ok(services.delete(s.getServiceId()));
        assertNothingReserved();
    }
}

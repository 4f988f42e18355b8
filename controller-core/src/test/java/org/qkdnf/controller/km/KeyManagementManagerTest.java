package org.qkdnf.controller.km;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;

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
import io.grpc.StatusRuntimeException;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.impl.SimpleKeyManagementStore;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.CommandResults;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;
import org.qkdnf.proto.keymgmt.v1.PoolReport;

class KeyManagementManagerTest {

    static final String A = "10000000-0000-4000-8000-000000000001";
    static final String B = "20000000-0000-4000-8000-000000000002";
    static final String C = "30000000-0000-4000-8000-000000000003";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String BC = "bc000000-0000-4000-8000-0000000000bc";
    static final String SERVICE = "5e000000-0000-4000-8000-000000000001";
    static final Metadata.Key<String> PEER = Metadata.Key.of("test-peer", Metadata.ASCII_STRING_MARSHALLER);

    /** Stands in for PeerIdentityInterceptor over in-process transport: the kms identity from a header. */
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
     * A scripted key manager: records commands; answers them OK when {@code autoAck}. With
     * {@code batches} its hello accepts KmsCommandBatch and it answers each batch with one CommandResults.
     */
    final class FakeKms implements StreamObserver<ConnectResponse> {
        final String node;
        final BlockingQueue<KmsCommand> commands = new LinkedBlockingQueue<>();
        final CompletableFuture<Status> closed = new CompletableFuture<>();
        final CompletableFuture<Void> acked = new CompletableFuture<>();
        final AtomicLong seq = new AtomicLong();
        volatile boolean autoAck = true;
        boolean batches;
        final AtomicLong singleCommandMessages = new AtomicLong();
        final AtomicLong batchMessages = new AtomicLong();
        StreamObserver<ConnectRequest> out;

        FakeKms(String certificateNode, String node) {
            this.node = node;
            Metadata h = new Metadata();
            h.put(PEER, certificateNode);
            out = KeyManagementServiceGrpc.newStub(channel)
                    .withInterceptors(MetadataUtils.newAttachHeadersInterceptor(h)).connect(this);
        }

        FakeKms hello() {
            send(ConnectRequest.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(node).setKmeId("kme-" + node)
                    .setEtsi014Address("127.0.0.1:8443").setAcceptsCommandBatches(batches)));
            return this;
        }

        synchronized void send(ConnectRequest.Builder r) {
            out.onNext(r.setSeq(seq.incrementAndGet()).build());
        }

        void answer(KmsCommand c, Status.Code code) {
            send(ConnectRequest.newBuilder().setCommandResult(CommandResult.newBuilder().setRequestId(c.getRequestId())
                    .setResult(OperationResult.newBuilder().setCode(code.value()).setMessage("test"))));
        }

        @Override
        public void onNext(ConnectResponse r) {
            if (r.hasHelloAck()) {
                acked.complete(null);
            } else if (r.hasCommands()) {
                batchMessages.incrementAndGet();
                commands.addAll(r.getCommands().getCommandsList());
                if (autoAck) {
                    CommandResults.Builder results = CommandResults.newBuilder();
                    for (KmsCommand c : r.getCommands().getCommandsList()) {
                        results.addResults(CommandResult.newBuilder().setRequestId(c.getRequestId())
                                .setResult(OperationResult.newBuilder().setCode(0).setMessage("test")));
                    }
                    send(ConnectRequest.newBuilder().setCommandResults(results));
                }
            } else {
                singleCommandMessages.incrementAndGet();
                commands.add(r.getCommand());
                if (autoAck) {
                    answer(r.getCommand(), Status.Code.OK);
                }
            }
        }

        @Override
        public void onError(Throwable t) {
            closed.complete(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            closed.complete(Status.OK);
        }
    }

    private SimpleKeyManagementStore store;
    private ScheduledExecutorService scheduler;
    private KeyManagementManager manager;
    private Server server;
    private ManagedChannel channel;
    private String name;

    @BeforeEach
    void setUp() throws Exception {
        store = new SimpleKeyManagementStore();
        scheduler = Executors.newSingleThreadScheduledExecutor();
        startServer();
    }

    private void startServer() throws Exception {
        manager = new KeyManagementManager(store, scheduler, ControllerSettings::defaults, Clock.systemUTC());
        name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(new KeyManagementGrpcService(manager, "test-controller"),
                        new TestIdentityInterceptor()))
                .build().start();
        channel = InProcessChannelBuilder.forName(name).directExecutor().build();
    }

    @AfterEach
    void tearDown() throws Exception {
        channel.shutdownNow();
        server.shutdownNow();
        channel.awaitTermination(5, TimeUnit.SECONDS);
        server.awaitTermination(5, TimeUnit.SECONDS);
        scheduler.shutdownNow();
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met within 5 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    private FakeKms connected(String node) throws Exception {
        return connected(node, false);
    }

    private FakeKms connected(String node, boolean batches) throws Exception {
        FakeKms k = new FakeKms(node, node);
        k.batches = batches;
        k.hello();
        k.acked.get(5, TimeUnit.SECONDS);
        // Inbound messages of a stream are handled in order: once this report is applied, the
        // hello's handling (with its re-send of routes) is over.
        k.send(ConnectRequest.newBuilder().setPoolReport(PoolReport.getDefaultInstance()));
        eventually(() -> manager.getKmNode(node).map(n -> n.hasPoolReport()).orElse(false));
        return k;
    }

    static KeyRoute route() {
        return KeyRoute.newBuilder().setServiceId(SERVICE).setMasterSaeId("sae-alice").setSlaveSaeId("sae-bob")
                .addAllRouteQkdnIds(List.of(A, B, C)).addAllRouteQkdlIds(List.of(AB, BC)).setRateBps(1024)
                .setBufferBits(1 << 16).build();
    }

    private static Status statusOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            return Status.fromThrowable(e.getCause());
        }
        throw new AssertionError("expected a failure");
    }

    @Test
    void helloForAnotherNodeIsDenied() throws Exception {
        FakeKms k = new FakeKms(A, B).hello();
        Status s = k.closed.get(5, TimeUnit.SECONDS);
        assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(s.getDescription()).contains("hello.qkdn_id").contains(A);
        assertThat(manager.getKmNodes()).isEmpty();
    }

    @Test
    void firstMessageMustBeHello() throws Exception {
        FakeKms k = new FakeKms(A, A);
        k.send(ConnectRequest.newBuilder().setInventory(KmsInventory.getDefaultInstance()));
        assertThat(k.closed.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    }

    @Test
    void badInventoryIsRefusedNamingTheField() throws Exception {
        FakeKms k = connected(A);
        k.send(ConnectRequest.newBuilder().setInventory(KmsInventory.newBuilder()
                .addKmLinks(KmLink.newBuilder().setQkdlId(AB).setNeighbourQkdnId(B))
                .addKmLinks(KmLink.newBuilder().setQkdlId("not-a-uuid").setNeighbourQkdnId(C))));
        Status s = k.closed.get(5, TimeUnit.SECONDS);
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).startsWith("inventory.km_links[1].qkdl_id");
    }

    @Test
    void badHelloAddressIsRefusedNamingTheField() throws Exception {
        FakeKms k = new FakeKms(A, A);
        k.send(ConnectRequest.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(A).setKmeId("kme")
                .setEtsi014Address("no port")));
        Status s = k.closed.get(5, TimeUnit.SECONDS);
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).startsWith("hello.etsi014_address");
    }

    @Test
    void topologyShowsNodesAndPoolLevelsOfBothEnds() throws Exception {
        FakeKms a = connected(A);
        FakeKms b = connected(B);
        a.send(ConnectRequest.newBuilder().setInventory(KmsInventory.newBuilder()
                .addKmLinks(KmLink.newBuilder().setQkdlId(AB).setNeighbourQkdnId(B))));
        b.send(ConnectRequest.newBuilder().setInventory(KmsInventory.newBuilder()
                .addKmLinks(KmLink.newBuilder().setQkdlId(AB).setNeighbourQkdnId(A))));
        a.send(ConnectRequest.newBuilder().setPoolReport(PoolReport.newBuilder().addPools(PoolLevel.newBuilder()
                .setQkdlId(AB).setOwnerQkdnId(A).setAvailableBits(1000).setMaxBits(4096))));
        b.send(ConnectRequest.newBuilder().setPoolReport(PoolReport.newBuilder().addPools(PoolLevel.newBuilder()
                .setQkdlId(AB).setOwnerQkdnId(B).setAvailableBits(2000).setMaxBits(4096))));
        eventually(() -> manager.getKmLinks().size() == 1 && manager.getKmLinks().get(0).getLevelsBCount() == 1
                && manager.getKmLinks().get(0).getLevelsACount() == 1);
        KmLinkState l = manager.getKmLinks().get(0);
        assertThat(l.getQkdnIdA()).isEqualTo(A);
        assertThat(l.getQkdnIdB()).isEqualTo(B);
        assertThat(l.getLevelsA(0).getAvailableBits()).isEqualTo(1000);
        assertThat(l.getLevelsB(0).getAvailableBits()).isEqualTo(2000);
        assertThat(manager.getKmNodes()).extracting(n -> n.getConnected()).containsExactly(true, true);
        b.out.onCompleted();
        eventually(() -> !manager.getKmNode(B).get().getConnected());
        assertThat(store.loadNodes()).containsKeys(A, B);
    }

    @Test
    void invalidRouteIsRefusedNamingTheField() throws Exception {
        Status s = statusOf(manager.installRoute(route().toBuilder().clearRouteQkdlIds().addRouteQkdlIds(AB).build(), null));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).startsWith("route.route_qkdl_ids");
        s = statusOf(manager.installRoute(route().toBuilder().setBufferBits(7).build(), null));
        assertThat(s.getDescription()).startsWith("route.buffer_bits");
        s = statusOf(manager.installRoute(route().toBuilder().setRouteQkdnIds(2, A).build(), null));
        assertThat(s.getDescription()).startsWith("route.route_qkdn_ids[2]");
    }

    @Test
    void routeWithADisconnectedNodeIsUnavailableAndNotStored() throws Exception {
        connected(A);
        connected(B);
        Status s = statusOf(manager.installRoute(route(), null));
        assertThat(s.getCode()).isEqualTo(Status.Code.UNAVAILABLE);
        assertThat(s.getDescription()).contains("route_qkdn_ids[2]").contains(C);
        assertThat(manager.getKeyRoutes()).isEmpty();
    }

    @Test
    void installCompletesOnlyWhenEveryNodeAcknowledged() throws Exception {
        FakeKms a = connected(A);
        FakeKms b = connected(B);
        FakeKms c = connected(C);
        c.autoAck = false;
        CompletableFuture<KeyRouteEntry> f = manager.installRoute(route(), Duration.ofSeconds(5));
        KmsCommand atC = c.commands.poll(5, TimeUnit.SECONDS);
        assertThat(atC.getInstallRoute().getRoute()).isEqualTo(route());
        eventually(() -> a.commands.size() == 1 && b.commands.size() == 1);
        Thread.sleep(50);
        assertThat(f).isNotDone();
        assertThat(manager.getKeyRoute(SERVICE).get().getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLING);
        assertThat(store.loadRoutes()).containsKey(SERVICE);
        c.answer(atC, Status.Code.OK);
        assertThat(f.get(5, TimeUnit.SECONDS).getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
        assertThat(store.loadRoutes().get(SERVICE).getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
        assertThat(manager.installRoute(route(), null).get(5, TimeUnit.SECONDS).getState())
                .as("the same route again").isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
        Status s = statusOf(manager.installRoute(route().toBuilder().setBufferBits(8).build(), null));
        assertThat(s.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    }

    @Test
    void aKeyManagerThatAcceptsBatchesGetsOnlyBatchesAndMayAnswerThemInOne() throws Exception {
        FakeKms a = connected(A, true);
        FakeKms b = connected(B, true);
        FakeKms c = connected(C, false);
        List<CompletableFuture<KeyRouteEntry>> installs = new java.util.ArrayList<>();
        for (int i = 0; i < 200; i++) {
            String id = String.format("5e000000-0000-4000-8000-%012d", 100 + i);
            installs.add(manager.installRoute(route().toBuilder().setServiceId(id).build(), Duration.ofSeconds(5)));
        }
        for (CompletableFuture<KeyRouteEntry> f : installs) {
            assertThat(f.get(5, TimeUnit.SECONDS).getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
        }
        assertThat(a.commands).hasSize(200);
        assertThat(b.commands).hasSize(200);
        assertThat(a.singleCommandMessages.get() + b.singleCommandMessages.get()).isZero();
        assertThat(c.commands).as("a key manager without batches gets one command per message").hasSize(200);
        assertThat(c.batchMessages.get()).isZero();
    }

    @Test
    void emptyCommandResultsAreRefusedNamingTheField() throws Exception {
        FakeKms k = connected(A, true);
        k.send(ConnectRequest.newBuilder().setCommandResults(CommandResults.getDefaultInstance()));
        Status s = k.closed.get(5, TimeUnit.SECONDS);
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).startsWith("command_results.results");
    }

    @Test
    void timeoutNamesTheSilentNodeAndRollsBack() throws Exception {
        FakeKms a = connected(A);
        connected(B);
        FakeKms c = connected(C);
        c.autoAck = false;
        Status s = statusOf(manager.installRoute(route(), Duration.ofMillis(300)));
        assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        assertThat(s.getDescription()).contains("route_qkdn_ids[2]").contains(C);
        assertThat(a.commands.poll(5, TimeUnit.SECONDS).hasInstallRoute()).isTrue();
        assertThat(a.commands.poll(5, TimeUnit.SECONDS).getRemoveRoute().getServiceId()).isEqualTo(SERVICE);
        assertThat(manager.getKeyRoute(SERVICE).get().getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_REMOVING);
        c.autoAck = true;
        c.out.onCompleted();
        eventually(() -> !manager.isConnected(C));
        connected(C); // reconnects: the removal is re-sent to all and then the route is forgotten
        eventually(() -> manager.getKeyRoute(SERVICE).isEmpty());
        assertThat(store.loadRoutes()).isEmpty();
    }

    @Test
    void refusalNamesTheNodeAndItsMessage() throws Exception {
        connected(A);
        FakeKms b = connected(B);
        connected(C);
        b.autoAck = false;
        CompletableFuture<KeyRouteEntry> f = manager.installRoute(route(), Duration.ofSeconds(5));
        b.answer(b.commands.poll(5, TimeUnit.SECONDS), Status.Code.FAILED_PRECONDITION);
        Status s = statusOf(f);
        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription()).contains("route_qkdn_ids[1]").contains(B).contains("test");
    }

    @Test
    void removalReachesEveryNodeAndForgetsTheRoute() throws Exception {
        FakeKms a = connected(A);
        FakeKms b = connected(B);
        FakeKms c = connected(C);
        manager.installRoute(route(), null).get(5, TimeUnit.SECONDS);
        manager.removeRoute(SERVICE, null).get(5, TimeUnit.SECONDS);
        for (FakeKms k : List.of(a, b, c)) {
            assertThat(k.commands.poll(5, TimeUnit.SECONDS).hasInstallRoute()).isTrue();
            assertThat(k.commands.poll(5, TimeUnit.SECONDS).getRemoveRoute().getServiceId()).isEqualTo(SERVICE);
        }
        assertThat(manager.getKeyRoutes()).isEmpty();
        assertThat(store.loadRoutes()).isEmpty();
        assertThat(statusOf(manager.removeRoute(SERVICE, null)).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    @Test
    void routesSurviveARestartAndAreResentOnReconnect() throws Exception {
        connected(A);
        connected(B);
        connected(C);
        manager.installRoute(route(), null).get(5, TimeUnit.SECONDS);
        tearDown();
        scheduler = Executors.newSingleThreadScheduledExecutor();
        startServer(); // same store: a restarted controller
        assertThat(manager.getKeyRoute(SERVICE).get().getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_INSTALLED);
        assertThat(manager.getKmNodes()).hasSize(3).noneMatch(n -> n.getConnected());
        FakeKms b = connected(B);
        KmsCommand again = b.commands.poll(5, TimeUnit.SECONDS);
        assertThat(again.getInstallRoute().getRoute()).isEqualTo(route());
    }

    @Test
    void aRouteInstallingAtTheStopIsRemovedAfterTheRestart() throws Exception {
        store.putRoute(KeyRouteEntry.newBuilder().setRoute(route()).setState(KeyRouteState.KEY_ROUTE_STATE_INSTALLING)
                .build());
        tearDown();
        scheduler = Executors.newSingleThreadScheduledExecutor();
        startServer();
        assertThat(manager.getKeyRoute(SERVICE).get().getState()).isEqualTo(KeyRouteState.KEY_ROUTE_STATE_REMOVING);
        FakeKms a = connected(A);
        assertThat(a.commands.poll(5, TimeUnit.SECONDS).getRemoveRoute().getServiceId()).isEqualTo(SERVICE);
        assertThatThrownBy(() -> manager.installRoute(route(), null).join())
                .hasCauseInstanceOf(StatusRuntimeException.class);
    }
}

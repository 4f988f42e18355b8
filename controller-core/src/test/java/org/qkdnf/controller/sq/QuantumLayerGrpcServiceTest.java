package org.qkdnf.controller.sq;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.qkdnf.controller.testing.TestTopology.id;
import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_ACTIVE;
import static org.qkdnf.proto.southbound.v1.QkdlStatus.QKDL_STATUS_OFF;

import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;

import com.google.protobuf.Timestamp;

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
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.DeleteLinkCommand;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.Notification;
import org.qkdnf.proto.southbound.v1.NotificationType;
import org.qkdnf.proto.southbound.v1.AlarmSeverity;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdnStatus;

class QuantumLayerGrpcServiceTest {

    static final String A = "10000000-0000-4000-8000-000000000001";
    static final String B = "20000000-0000-4000-8000-000000000002";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";

    /** Stands in for PeerIdentityInterceptor over in-process transport: identity from a header. */
    static final class TestIdentityInterceptor implements ServerInterceptor {
        @Override
        public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers,
                                                           ServerCallHandler<Q, R> next) {
            String id = headers.get(TestAgent.PEER);
            Context ctx = Context.current().withValue(PeerIdentity.CONTEXT_KEY, new PeerIdentity(id, "qkd-node", "test"));
            return Contexts.interceptCall(ctx, call, headers, next);
        }
    }

    private QkdTopologyManager manager;
    private CommandDispatcher dispatcher;
    private ScheduledExecutorService scheduler;
    private QuantumLayerGrpcService service;
    private Server server;
    private ManagedChannel channel;

    @BeforeEach
    void setUp() throws Exception {
        manager = new QkdTopologyManager(new SimpleQkdTopologyStore());
        scheduler = Executors.newSingleThreadScheduledExecutor();
        dispatcher = new CommandDispatcher(scheduler, manager::settings, Clock.systemUTC());
        service = new QuantumLayerGrpcService(manager, dispatcher, "test-controller");
        String name = InProcessServerBuilder.generateName();
        server = InProcessServerBuilder.forName(name)
                .addService(ServerInterceptors.intercept(service, new TestIdentityInterceptor()))
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
        manager.close();
    }

    private static void eventually(BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("condition not met within 5 s");
            }
            Thread.sleep(5);
        }
    }

    private TestAgent connected(String node, org.qkdnf.proto.southbound.v1.QkdLink... links) throws Exception {
        TestAgent agent = new TestAgent(channel, node).hello(node);
        ConnectResponse ack = agent.next();
        assertThat(ack.hasHelloAck()).isTrue();
        assertThat(ack.getHelloAck().getControllerId()).isEqualTo("test-controller");
        agent.inventory(node(node, links));
        eventually(() -> manager.getNode(node).map(n -> n.agentConnected()).orElse(false));
        return agent;
    }

    @Test
    void helloThenInventoryBuildsTheTopology() throws Exception {
        connected(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        connected(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE));
        eventually(() -> manager.getLink(AB).map(l -> l.status() == QKDL_STATUS_ACTIVE).orElse(false));
        assertThat(service.connectedAgents()).isEqualTo(2);
    }

    @Test
    void firstMessageMustBeHello() throws Exception {
        TestAgent agent = new TestAgent(channel, A).inventory(node(A));
        Status s = agent.awaitClose();
        assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(s.getDescription()).contains("first message must be hello");
    }

    @Test
    void helloForAnotherNodeIsPermissionDenied() throws Exception {
        TestAgent agent = new TestAgent(channel, A).hello(B);
        Status s = agent.awaitClose();
        assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(s.getDescription()).startsWith("hello.qkdn_id");
        assertThat(manager.getNode(B)).isEmpty();
    }

    @Test
    void inventoryForAnotherNodeIsPermissionDenied() throws Exception {
        TestAgent agent = new TestAgent(channel, A).hello(A);
        agent.next();
        agent.inventory(node(B));
        Status s = agent.awaitClose();
        assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(s.getDescription()).startsWith("inventory.qkd_node.qkdn_id");
        assertThat(manager.getNode(B)).isEmpty();
    }

    @Test
    void performanceForAnotherNodesLinkIsPermissionDenied() throws Exception {
        String c = "30000000-0000-4000-8000-000000000003";
        connected(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        TestAgent other = connected(c);
        other.performance(perf(AB, QKDL_STATUS_OFF, 0, 0.5));
        Status s = other.awaitClose();
        assertThat(s.getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(manager.getLink(AB).orElseThrow().hasPerformance()).isFalse();
    }

    @Test
    void performanceOfUnknownLinkIsNotFound() throws Exception {
        TestAgent agent = connected(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        String unknown = id();
        agent.performance(perf(unknown, QKDL_STATUS_ACTIVE, 1, 0.01));
        Status s = agent.awaitClose();
        assertThat(s.getCode()).isEqualTo(Status.Code.NOT_FOUND);
        assertThat(s.getDescription()).startsWith("performance_report.links[0].qkdl_id").contains(unknown);
    }

    static Stream<Arguments> badMessages() {
        LinkPerformance good = perf(AB, QKDL_STATUS_ACTIVE, 1000, 0.02);
        QkdNode goodNode = node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        return Stream.of(
                bad("seq: must be >= 1", r -> r.setSeq(0).setPerformanceReport(PerformanceReport.newBuilder())),
                bad("message: not set", r -> r.clearMessage()),
                bad("hello: already received", r -> r.setHello(Hello.newBuilder().setQkdnId(A).setAgentVersion("x").setAgentInstanceId("y"))),
                bad("inventory.qkd_node: required", r -> r.setInventory(Inventory.newBuilder())),
                bad("inventory.qkd_node.qkdn_status", r -> r.setInventory(Inventory.newBuilder().setQkdNode(
                        goodNode.toBuilder().setQkdnStatus(QkdnStatus.QKDN_STATUS_UNSPECIFIED)))),
                bad("inventory.qkd_node.qkdn_name: required", r -> r.setInventory(Inventory.newBuilder().setQkdNode(
                        goodNode.toBuilder().clearQkdnName()))),
                bad("inventory.qkd_node.qkdn_location.latitude_deg", r -> r.setInventory(Inventory.newBuilder().setQkdNode(
                        goodNode.toBuilder().setQkdnLocation(org.qkdnf.proto.common.v1.GeoLocation.newBuilder().setLatitudeDeg(91))))),
                bad("inventory.qkd_node.qkd_links[0].qkdl_id: not a UUID", r -> r.setInventory(Inventory.newBuilder().setQkdNode(
                        goodNode.toBuilder().setQkdLinks(0, goodNode.getQkdLinks(0).toBuilder().setQkdlId("link-1"))))),
                bad("inventory.qkd_node.qkd_links[0].qkdl_local.qkdi_id: not an interface", r -> r.setInventory(
                        Inventory.newBuilder().setQkdNode(goodNode.toBuilder().clearQkdInterfaces()))),
                bad("inventory.qkd_node.qkd_links[0].length_km", r -> r.setInventory(Inventory.newBuilder().setQkdNode(
                        goodNode.toBuilder().setQkdLinks(0, goodNode.getQkdLinks(0).toBuilder().setLengthKm(-1))))),
                bad("performance_report.links[0].phys_perf.qber", r -> r.setPerformanceReport(PerformanceReport.newBuilder()
                        .addLinks(good.toBuilder().setPhysPerf(good.getPhysPerf().toBuilder().setQber(0.7))))),
                bad("performance_report.links[0].skr_bps", r -> r.setPerformanceReport(PerformanceReport.newBuilder()
                        .addLinks(good.toBuilder().setSkrBps(Double.NaN)))),
                bad("performance_report.links[0].skr_bps", r -> r.setPerformanceReport(PerformanceReport.newBuilder()
                        .addLinks(good.toBuilder().setSkrBps(-5)))),
                bad("performance_report.links[0].qkdl_status", r -> r.setPerformanceReport(PerformanceReport.newBuilder()
                        .addLinks(good.toBuilder().clearQkdlStatus()))),
                bad("performance_report.links[0].measured_at: required", r -> r.setPerformanceReport(PerformanceReport.newBuilder()
                        .addLinks(good.toBuilder().clearMeasuredAt()))),
                bad("performance_report.links[1].qkdl_id: required", r -> r.setPerformanceReport(PerformanceReport.newBuilder()
                        .addLinks(good).addLinks(good.toBuilder().setQkdlId("")))),
                bad("notification.type", r -> r.setNotification(Notification.newBuilder().setQkdlId(AB)
                        .setSeverity(AlarmSeverity.ALARM_SEVERITY_MAJOR).setRaisedAt(Timestamp.newBuilder().setSeconds(1)))),
                bad("notification.qkdl_id: not a UUID", r -> r.setNotification(Notification.newBuilder()
                        .setType(NotificationType.NOTIFICATION_TYPE_SDQKDN_LINK_DOWN).setQkdlId("x")
                        .setSeverity(AlarmSeverity.ALARM_SEVERITY_MAJOR).setRaisedAt(Timestamp.newBuilder().setSeconds(1)))),
                bad("command_result.request_id: not a UUID", r -> r.setCommandResult(CommandResult.newBuilder()
                        .setRequestId("r1").setResult(OperationResult.newBuilder()))),
                bad("command_result.result.code", r -> r.setCommandResult(CommandResult.newBuilder()
                        .setRequestId(id()).setResult(OperationResult.newBuilder().setCode(99)))));
    }

    private static Arguments bad(String field, UnaryOperator<ConnectRequest.Builder> message) {
        return Arguments.of(field, message);
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("badMessages")
    void badFieldIsInvalidArgumentNamingIt(String field, UnaryOperator<ConnectRequest.Builder> message) throws Exception {
        TestAgent agent = connected(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        ConnectRequest.Builder r = message.apply(ConnectRequest.newBuilder().setSeq(100));
        agent.sendWithSeq(r.getSeq(), r);
        Status s = agent.awaitClose();
        String expected = field.startsWith("hello: already") ? "FAILED_PRECONDITION" : "INVALID_ARGUMENT";
        assertThat(s.getCode().name()).isEqualTo(expected);
        assertThat(s.getDescription()).startsWith(field);
        // the stream's end disconnects the node; the topology itself is untouched
        eventually(() -> !manager.getNode(A).orElseThrow().agentConnected());
        assertThat(manager.getLink(AB).orElseThrow().hasPerformance()).isFalse();
    }

    @Test
    void duplicateAndReorderedMessagesAreDropped() throws Exception {
        connected(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE));
        List<Double> applied = new CopyOnWriteArrayList<>();
        manager.addListener(e -> {
            if (e.type() == QkdTopologyEvent.Type.LINK_PERFORMANCE) {
                applied.add(e.link().orElseThrow().skrBps());
            }
        });
        TestAgent agent = new TestAgent(channel, A);
        agent.sendWithSeq(1, ConnectRequest.newBuilder().setHello(Hello.newBuilder().setQkdnId(A)
                .setAgentVersion("t").setAgentInstanceId("i")));
        agent.next();
        ConnectRequest.Builder inv = ConnectRequest.newBuilder().setInventory(Inventory.newBuilder()
                .setQkdNode(node(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE))));
        agent.sendWithSeq(2, inv);
        agent.sendWithSeq(5, perfMsg(100));
        agent.sendWithSeq(4, perfMsg(999));  // reordered: older than 5
        agent.sendWithSeq(5, perfMsg(555));  // duplicate seq
        agent.sendWithSeq(2, inv);           // duplicate inventory
        agent.sendWithSeq(6, perfMsg(200));
        eventually(() -> applied.contains(200.0));
        assertThat(applied).containsExactly(100.0, 200.0);
        assertThat(agent.closed).isNotDone();
    }

    private static ConnectRequest.Builder perfMsg(double skr) {
        return ConnectRequest.newBuilder().setPerformanceReport(PerformanceReport.newBuilder()
                .addLinks(perf(AB, QKDL_STATUS_ACTIVE, skr, 0.01)));
    }

    @Test
    void linkDownNotificationTurnsTheLinkOff() throws Exception {
        connected(B, linkEnd(AB, B, A, QKDL_STATUS_ACTIVE));
        TestAgent agent = connected(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        eventually(() -> manager.getLink(AB).orElseThrow().status() == QKDL_STATUS_ACTIVE);
        agent.send(ConnectRequest.newBuilder().setNotification(Notification.newBuilder()
                .setType(NotificationType.NOTIFICATION_TYPE_SDQKDN_LINK_DOWN).setQkdlId(AB)
                .setSeverity(AlarmSeverity.ALARM_SEVERITY_CRITICAL).setDescription("fibre cut")
                .setRaisedAt(Timestamp.newBuilder().setSeconds(System.currentTimeMillis() / 1000))));
        eventually(() -> manager.getLink(AB).orElseThrow().status() == QKDL_STATUS_OFF);
    }

    @Test
    void commandResultReachesTheCaller() throws Exception {
        TestAgent agent = connected(A, linkEnd(AB, A, B, QKDL_STATUS_ACTIVE));
        CompletableFuture<CommandResult> result = dispatcher.submit(A, ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)).build(), Duration.ofSeconds(5));
        ConnectResponse sent = agent.next();
        assertThat(sent.hasCommand()).isTrue();
        ControllerCommand cmd = sent.getCommand();
        assertThat(cmd.getRequestId()).matches("[0-9a-f-]{36}");
        assertThat(cmd.hasDeadline()).isTrue();
        assertThat(cmd.getDeleteLink().getQkdlId()).isEqualTo(AB);
        agent.send(ConnectRequest.newBuilder().setCommandResult(CommandResult.newBuilder()
                .setRequestId(cmd.getRequestId()).setResult(OperationResult.newBuilder().setCode(0).setMessage("deleted"))));
        CommandResult r = result.get(5, TimeUnit.SECONDS);
        assertThat(r.getResult().getMessage()).isEqualTo("deleted");
        assertThat(dispatcher.pendingCount()).isZero();
    }

    @Test
    void unansweredCommandTimesOut() throws Exception {
        TestAgent agent = connected(A);
        CompletableFuture<CommandResult> result = dispatcher.submit(A, ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)).build(), Duration.ofMillis(200));
        ControllerCommand cmd = agent.next().getCommand();
        assertThat(statusOf(result).getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
        // a late answer is harmless
        agent.send(ConnectRequest.newBuilder().setCommandResult(CommandResult.newBuilder()
                .setRequestId(cmd.getRequestId()).setResult(OperationResult.newBuilder())));
        assertThat(dispatcher.pendingCount()).isZero();
        assertThat(agent.closed).isNotDone();
    }

    @Test
    void commandToUnconnectedNodeIsUnavailable() throws Exception {
        CompletableFuture<CommandResult> result = dispatcher.submit(A, ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)).build(), Duration.ofSeconds(1));
        assertThat(statusOf(result).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void badCommandIsInvalidArgument() throws Exception {
        connected(A);
        assertThat(statusOf(dispatcher.submit(A, ControllerCommand.newBuilder().build(), null)).getDescription())
                .startsWith("command: not set");
        Status s = statusOf(dispatcher.submit(A, ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId("nope")).build(), null));
        assertThat(s.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(s.getDescription()).startsWith("delete_link.qkdl_id");
    }

    @Test
    void agentDisconnectFailsPendingCommands() throws Exception {
        TestAgent agent = connected(A);
        CompletableFuture<CommandResult> result = dispatcher.submit(A, ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)).build(), Duration.ofSeconds(30));
        agent.next();
        agent.complete();
        assertThat(statusOf(result).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    @Test
    void newerStreamReplacesTheOlderOne() throws Exception {
        TestAgent first = connected(A);
        TestAgent second = connected(A);
        assertThat(first.awaitClose().getCode()).isEqualTo(Status.Code.ABORTED);
        assertThat(manager.getNode(A).orElseThrow().agentConnected()).isTrue();
        assertThat(service.connectedAgents()).isEqualTo(1);
        // commands go to the newer stream
        CompletableFuture<CommandResult> result = dispatcher.submit(A, ControllerCommand.newBuilder()
                .setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)).build(), Duration.ofSeconds(5));
        assertThat(second.next().hasCommand()).isTrue();
        second.complete();
        eventually(() -> !manager.getNode(A).orElseThrow().agentConnected());
        assertThat(statusOf(result).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    }

    private static Status statusOf(CompletableFuture<?> f) throws Exception {
        try {
            f.get(5, TimeUnit.SECONDS);
        } catch (ExecutionException e) {
            assertThat(e.getCause()).isInstanceOf(StatusRuntimeException.class);
            return Status.fromThrowable(e.getCause());
        }
        throw new AssertionError("completed normally");
    }
}

package org.qkdnf.controller.sq;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.api.QkdTopologyException;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.controller.impl.StreamSender;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.HelloAck;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.Notification;
import org.qkdnf.proto.southbound.v1.NotificationType;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One agent stream. Protocol: the first message is Hello, naming the node of the caller's
 * certificate; then inventory, performance, notifications and command results, each with a
 * strictly increasing seq (a message whose seq is not above the last applied one is dropped, so
 * duplicates and reordering do no harm). Any bad message closes the stream with a status naming
 * the field; the agent reconnects and resends its inventory.
 *
 * <p>Threads: {@code qkdnId}, {@code lastSeq} and the protocol state are confined to the inbound
 * callbacks ({@link #onNext}, {@link #onError}, {@link #onCompleted}), which gRPC serializes per
 * call. Outbound messages come from those callbacks, from command submitters and from a replacing
 * session, all through {@link StreamSender} (thread-safe, closes once).
 */
final class AgentSession implements StreamObserver<ConnectRequest>, CommandDispatcher.AgentChannel {

    private static final Logger log = LoggerFactory.getLogger(AgentSession.class);

    private final QuantumLayerGrpcService service;
    private final PeerIdentity identity;
    private final StreamSender<ConnectResponse> out;
    private volatile boolean ended;

    private String qkdnId; // set by Hello; confined to inbound callbacks
    private long lastSeq;  // confined to inbound callbacks
    private long dropped;  // confined to inbound callbacks

    AgentSession(QuantumLayerGrpcService service, PeerIdentity identity, ServerCallStreamObserver<ConnectResponse> out) {
        this.service = service;
        this.identity = identity;
        this.out = new StreamSender<>(out, "agent stream");
    }

    @Override
    public void onNext(ConnectRequest request) {
        if (isClosed()) {
            return;
        }
        try {
            if (request.getSeq() == 0) {
                throw SqValidator.invalid("seq: must be >= 1");
            }
            if (request.getSeq() <= lastSeq) {
                dropped++;
                log.debug("node {}: dropped message seq {} (last applied {})", qkdnId, request.getSeq(), lastSeq);
                return;
            }
            handle(request);
            lastSeq = request.getSeq();
        } catch (StatusRuntimeException e) {
            closeWith(e.getStatus());
        } catch (QkdTopologyException e) {
            closeWith(toStatus(e));
        } catch (RuntimeException e) {
            log.error("node {}: internal error on message seq {}", qkdnId, request.getSeq(), e);
            closeWith(Status.INTERNAL.withDescription("internal error"));
        }
    }

    private void handle(ConnectRequest request) {
        if (qkdnId == null) {
            if (request.getMessageCase() != ConnectRequest.MessageCase.HELLO) {
                throw Status.FAILED_PRECONDITION.withDescription("first message must be hello, was "
                        + request.getMessageCase()).asRuntimeException();
            }
            SqValidator.hello(request.getHello());
            String claimed = request.getHello().getQkdnId();
            if (!identity.id().equals(claimed)) {
                throw Status.PERMISSION_DENIED.withDescription("hello.qkdn_id: the certificate names node "
                        + identity.id() + ", not " + claimed).asRuntimeException();
            }
            qkdnId = claimed;
            service.register(qkdnId, this);
            service.commands().agentConnected(qkdnId, this);
            service.topology().setAgentConnected(qkdnId, true);
            log.info("agent of node {} connected ({}, instance {})", qkdnId, request.getHello().getAgentVersion(),
                    request.getHello().getAgentInstanceId());
            send(ConnectResponse.newBuilder().setHelloAck(HelloAck.newBuilder()
                    .setControllerId(service.controllerId())
                    .setReportIntervalMs(service.topology().settings().reportIntervalMs())).build());
            return;
        }
        switch (request.getMessageCase()) {
            case HELLO:
                throw Status.FAILED_PRECONDITION.withDescription("hello: already received on this stream")
                        .asRuntimeException();
            case INVENTORY:
                inventory(request.getInventory());
                break;
            case PERFORMANCE_REPORT:
                performance(request.getPerformanceReport());
                break;
            case NOTIFICATION:
                notification(request.getNotification());
                break;
            case COMMAND_RESULT:
                SqValidator.commandResult(request.getCommandResult());
                service.commands().onResult(qkdnId, request.getCommandResult());
                break;
            case MESSAGE_NOT_SET:
            default:
                throw SqValidator.invalid("message: not set");
        }
    }

    private void inventory(Inventory inventory) {
        SqValidator.inventory(inventory);
        QkdNode node = inventory.getQkdNode();
        if (!qkdnId.equals(node.getQkdnId())) {
            throw Status.PERMISSION_DENIED.withDescription("inventory.qkd_node.qkdn_id: this stream speaks for node "
                    + qkdnId + ", not " + node.getQkdnId()).asRuntimeException();
        }
        for (int i = 0; i < node.getQkdLinksCount(); i++) {
            if (!qkdnId.equals(node.getQkdLinks(i).getQkdlLocal().getQkdnId())) {
                throw Status.PERMISSION_DENIED.withDescription("inventory.qkd_node.qkd_links[" + i
                        + "].qkdl_local.qkdn_id: this stream speaks for node " + qkdnId).asRuntimeException();
            }
        }
        try {
            service.topology().applyInventory(node);
        } catch (QkdTopologyException e) {
            throw prefixed(e, "inventory.");
        }
    }

    private void performance(PerformanceReport report) {
        SqValidator.performanceReport(report);
        for (int i = 0; i < report.getLinksCount(); i++) {
            try {
                service.topology().applyPerformance(qkdnId, report.getLinks(i));
            } catch (QkdTopologyException e) {
                throw prefixed(e, "performance_report.links[" + i + "].");
            }
        }
    }

    private void notification(Notification n) {
        SqValidator.notification(n);
        NotificationType type = n.getType();
        if (SqValidator.isInterfaceNotification(type) || type == NotificationType.NOTIFICATION_TYPE_SDQKDN_LINK_NEW) {
            // Interface changes and new links reach the topology through the inventory the agent
            // sends with them; the notification itself is only logged.
            log.info("node {}: {} {} {}", qkdnId, type, n.getSeverity(), n.getDescription());
            return;
        }
        try {
            if (n.hasPerformance()) {
                service.topology().applyPerformance(qkdnId, n.getPerformance());
            }
            if (type == NotificationType.NOTIFICATION_TYPE_SDQKDN_LINK_DOWN) {
                service.topology().linkDown(qkdnId, n.getQkdlId());
            } else if (!n.hasPerformance() && service.topology().getLink(n.getQkdlId()).isEmpty()) {
                throw new QkdTopologyException(QkdTopologyException.Reason.NOT_FOUND,
                        "qkdl_id: unknown link " + n.getQkdlId());
            }
        } catch (QkdTopologyException e) {
            throw prefixed(e, "notification.");
        }
        log.info("node {}: {} {} on link {}: {}", qkdnId, type, n.getSeverity(), n.getQkdlId(), n.getDescription());
    }

    @Override
    public void onError(Throwable t) {
        log.info("agent stream of node {} failed: {}", qkdnId, Status.fromThrowable(t));
        ended();
    }

    @Override
    public void onCompleted() {
        out.complete();
        ended();
    }

    /** Closes the stream with {@code status} (idempotent; callable from any thread). */
    void closeWith(Status status) {
        if (out.closeWith(status, qkdnId != null ? qkdnId : identity != null ? identity.id() : "?")) {
            ended();
        }
    }

    @Override
    public void sendCommand(ControllerCommand command) {
        send(ConnectResponse.newBuilder().setCommand(command).build());
    }

    private void send(ConnectResponse response) {
        out.send(response);
    }

    private boolean isClosed() {
        return out.isClosed();
    }

    /**
     * The stream is over: unregister, and mark the node disconnected unless a newer stream of
     * the same node already took over. Runs once.
     */
    private void ended() {
        if (ended) {
            return;
        }
        ended = true;
        String id = qkdnId;
        if (id == null) {
            return;
        }
        service.commands().agentDisconnected(id, this);
        if (service.unregister(id, this)) {
            service.topology().setAgentConnected(id, false);
            log.info("agent of node {} disconnected ({} duplicate or out-of-order messages dropped)", id, dropped);
        }
    }

    static Status toStatus(QkdTopologyException e) {
        switch (e.reason()) {
            case NOT_FOUND:
                return Status.NOT_FOUND.withDescription(e.getMessage());
            case PERMISSION_DENIED:
                return Status.PERMISSION_DENIED.withDescription(e.getMessage());
            case CONFLICT:
                return Status.FAILED_PRECONDITION.withDescription(e.getMessage());
            case INVALID_ARGUMENT:
            default:
                return Status.INVALID_ARGUMENT.withDescription(e.getMessage());
        }
    }

    private static StatusRuntimeException prefixed(QkdTopologyException e, String prefix) {
        String msg = e.getMessage();
        if (msg.startsWith("qkd_node.") && prefix.equals("inventory.")) {
            msg = prefix + msg;
        } else if (!msg.startsWith(prefix)) {
            msg = prefix + msg;
        }
        return toStatus(new QkdTopologyException(e.reason(), msg)).asRuntimeException();
    }
}

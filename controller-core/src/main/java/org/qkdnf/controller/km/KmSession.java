package org.qkdnf.controller.km;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.HelloAck;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One key-manager stream. Protocol: the first message is KmsHello naming the node of the
 * caller's certificate (PERMISSION_DENIED otherwise); then inventory, pool reports, relay counters
 * and command results, each with a strictly increasing seq (a message whose seq is not above the
 * last applied one is dropped). A bad message closes the stream with a status naming the field;
 * the key manager reconnects and starts again with its hello.
 *
 * <p>Threads: {@code qkdnId} and {@code lastSeq} are confined to the inbound callbacks, which gRPC
 * serializes per call. Outbound messages come from those callbacks, from route commands (any
 * thread) and from a replacing session: every use of {@code out} holds {@code sendLock}.
 */
final class KmSession implements StreamObserver<ConnectRequest>, KmCommandDispatcher.KmsChannel {

    private static final Logger log = LoggerFactory.getLogger(KmSession.class);

    private final KeyManagementGrpcService service;
    private final PeerIdentity identity;
    private final ServerCallStreamObserver<ConnectResponse> out;
    private final Object sendLock = new Object();
    private boolean closed; // guarded by sendLock
    private volatile boolean ended;

    private String qkdnId; // set by hello; confined to inbound callbacks
    private long lastSeq;  // confined to inbound callbacks

    KmSession(KeyManagementGrpcService service, PeerIdentity identity, ServerCallStreamObserver<ConnectResponse> out) {
        this.service = service;
        this.identity = identity;
        this.out = out;
    }

    @Override
    public void onNext(ConnectRequest request) {
        if (isClosed()) {
            return;
        }
        try {
            if (request.getSeq() == 0) {
                throw KmValidator.invalid("seq: must be >= 1");
            }
            if (request.getSeq() <= lastSeq) {
                log.debug("key manager {}: dropped message seq {} (last applied {})", qkdnId, request.getSeq(), lastSeq);
                return;
            }
            handle(request);
            lastSeq = request.getSeq();
        } catch (StatusRuntimeException e) {
            closeWith(e.getStatus());
        } catch (RuntimeException e) {
            log.error("key manager {}: internal error on message seq {}", qkdnId, request.getSeq(), e);
            closeWith(Status.INTERNAL.withDescription("internal error"));
        }
    }

    private void handle(ConnectRequest request) {
        KeyManagementManager manager = service.manager();
        if (qkdnId == null) {
            if (request.getMessageCase() != ConnectRequest.MessageCase.HELLO) {
                throw Status.FAILED_PRECONDITION.withDescription("first message must be hello, was "
                        + request.getMessageCase()).asRuntimeException();
            }
            KmsHello hello = request.getHello();
            KmValidator.hello(hello);
            if (!identity.id().equalsIgnoreCase(hello.getQkdnId())) {
                throw Status.PERMISSION_DENIED.withDescription("hello.qkdn_id: the certificate names node "
                        + identity.id() + ", not " + hello.getQkdnId()).asRuntimeException();
            }
            qkdnId = hello.getQkdnId();
            service.register(qkdnId, this);
            manager.kmsConnected(hello, this);
            send(ConnectResponse.newBuilder().setHelloAck(HelloAck.newBuilder().setControllerId(service.controllerId())
                    .setReportIntervalMs(manager.reportIntervalMs())).build());
            log.info("key manager of node {} connected (kme {}, ETSI 014 at {}, instance {})", qkdnId,
                    hello.getKmeId(), hello.getEtsi014Address(), hello.getAgentInstanceId());
            manager.resync(qkdnId);
            return;
        }
        switch (request.getMessageCase()) {
            case HELLO:
                throw Status.FAILED_PRECONDITION.withDescription("hello: already received on this stream")
                        .asRuntimeException();
            case INVENTORY:
                KmValidator.inventory(request.getInventory(), qkdnId);
                manager.inventory(qkdnId, request.getInventory());
                break;
            case POOL_REPORT:
                KmValidator.poolReport(request.getPoolReport());
                manager.poolReport(qkdnId, request.getPoolReport());
                break;
            case RELAY_COUNTERS:
                KmValidator.relayCounters(request.getRelayCounters());
                manager.relayCounters(qkdnId, request.getRelayCounters());
                break;
            case COMMAND_RESULT:
                KmValidator.commandResult(request.getCommandResult());
                manager.onResult(qkdnId, request.getCommandResult());
                break;
            case MESSAGE_NOT_SET:
            default:
                throw KmValidator.invalid("message: not set");
        }
    }

    @Override
    public void onError(Throwable t) {
        log.info("key manager stream of node {} failed: {}", qkdnId, Status.fromThrowable(t));
        ended();
    }

    @Override
    public void onCompleted() {
        synchronized (sendLock) {
            if (!closed) {
                closed = true;
                out.onCompleted();
            }
        }
        ended();
    }

    /** Closes the stream with {@code status} (idempotent; any thread). */
    void closeWith(Status status) {
        synchronized (sendLock) {
            if (closed) {
                return;
            }
            closed = true;
            if (status.getCode() != Status.Code.ABORTED && status.getCode() != Status.Code.UNAVAILABLE) {
                log.warn("closing key manager stream of node {}: {} {}", qkdnId != null ? qkdnId
                        : identity != null ? identity.id() : "?", status.getCode(), status.getDescription());
            }
            try {
                out.onError(status.asRuntimeException());
            } catch (RuntimeException e) {
                log.debug("stream already gone", e);
            }
        }
        ended();
    }

    @Override
    public void sendCommand(KmsCommand command) {
        send(ConnectResponse.newBuilder().setCommand(command).build());
    }

    private void send(ConnectResponse response) {
        synchronized (sendLock) {
            if (closed || out.isCancelled()) {
                throw Status.UNAVAILABLE.withDescription("key manager stream closed").asRuntimeException();
            }
            out.onNext(response);
        }
    }

    private boolean isClosed() {
        synchronized (sendLock) {
            return closed;
        }
    }

    private void ended() {
        if (ended) {
            return;
        }
        ended = true;
        String id = qkdnId;
        if (id == null) {
            return;
        }
        boolean wasLive = service.unregister(id, this);
        service.manager().kmsDisconnected(id, this, wasLive);
        if (wasLive) {
            log.info("key manager of node {} disconnected", id);
        }
    }
}

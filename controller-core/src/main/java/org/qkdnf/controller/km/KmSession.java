package org.qkdnf.controller.km;

import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.impl.StreamSender;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.HelloAck;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsCommandBatch;
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
 * <p>Batches: to a key manager whose hello accepts them, commands go out as KmsCommandBatch. A
 * command only joins the outbox; the first one into an empty outbox queues a flush on the send
 * executor, and the flush takes everything that piled up meanwhile (a store commit releases the
 * installs of hundreds of routes at once). So batches grow with the load and a lone command waits
 * for one executor hop only. Results may come back one by one or as CommandResults.
 *
 * <p>Threads: {@code qkdnId} and {@code lastSeq} are confined to the inbound callbacks, which gRPC
 * serializes per call. Outbound messages come from those callbacks, from route commands (any
 * thread), from the send executor (flushes) and from a replacing session, all through
 * {@link StreamSender} (thread-safe). A flush drains the outbox and sends under {@code flushLock},
 * so commands leave in the order they were queued even if two flushes overlap.
 */
final class KmSession implements StreamObserver<ConnectRequest>, KmsChannel {

    /** Commands per KmsCommandBatch at most: about 300 bytes each, well under the 4 MiB message limit. */
    static final int MAX_BATCH = 2048;
    private static final Logger log = LoggerFactory.getLogger(KmSession.class);

    private final KeyManagementGrpcService service;
    private final PeerIdentity identity;
    private final StreamSender<ConnectResponse> out;
    private final Executor sendExecutor;
    private volatile boolean ended;
    /** Set by the hello, before the session is registered as a channel. */
    private volatile boolean batches;
    private final ConcurrentLinkedQueue<KmsCommand> outbox = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean flushQueued = new AtomicBoolean();
    private final Object flushLock = new Object();

    private String qkdnId; // set by hello; confined to inbound callbacks
    private long lastSeq;  // confined to inbound callbacks

    KmSession(KeyManagementGrpcService service, PeerIdentity identity, ServerCallStreamObserver<ConnectResponse> out) {
        this.service = service;
        this.identity = identity;
        this.out = new StreamSender<>(out, "key manager stream");
        this.sendExecutor = service.manager().sendExecutor();
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
            batches = hello.getAcceptsCommandBatches();
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
            case COMMAND_RESULTS:
                KmValidator.commandResults(request.getCommandResults());
                for (CommandResult r : request.getCommandResults().getResultsList()) {
                    manager.onResult(qkdnId, r);
                }
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
        out.complete();
        ended();
    }

    /** Closes the stream with {@code status} (idempotent; any thread). */
    void closeWith(Status status) {
        if (out.closeWith(status, qkdnId != null ? qkdnId : identity != null ? identity.id() : "?")) {
            ended();
        }
    }

    @Override
    public void sendCommand(KmsCommand command) {
        if (!batches) {
            send(ConnectResponse.newBuilder().setCommand(command).build());
            service.manager().commandMessageSent();
            return;
        }
        if (isClosed()) {
            throw Status.UNAVAILABLE.withDescription("key manager stream closed").asRuntimeException();
        }
        outbox.add(command);
        if (flushQueued.compareAndSet(false, true)) {
            try {
                sendExecutor.execute(this::flushOutbox);
            } catch (RejectedExecutionException e) {
                flushQueued.set(false);
                throw Status.UNAVAILABLE.withDescription("controller shutting down").asRuntimeException();
            }
        }
    }

    /**
     * Sends what the outbox holds, in batches. A command lost here because the stream closed is
     * failed UNAVAILABLE by the dispatcher when it hears of the disconnect.
     */
    private void flushOutbox() {
        flushQueued.set(false);
        synchronized (flushLock) {
            KmsCommandBatch.Builder batch = KmsCommandBatch.newBuilder();
            for (KmsCommand c = outbox.poll(); c != null; c = outbox.poll()) {
                batch.addCommands(c);
                if (batch.getCommandsCount() == MAX_BATCH) {
                    sendBatch(batch);
                    batch = KmsCommandBatch.newBuilder();
                }
            }
            if (batch.getCommandsCount() > 0) {
                sendBatch(batch);
            }
        }
    }

    private void sendBatch(KmsCommandBatch.Builder batch) {
        try {
            send(ConnectResponse.newBuilder().setCommands(batch).build());
            service.manager().commandMessageSent();
        } catch (StatusRuntimeException e) {
            log.debug("key manager {}: {} commands not sent, stream closed", qkdnId, batch.getCommandsCount());
        }
    }

    private void send(ConnectResponse response) {
        out.send(response);
    }

    private boolean isClosed() {
        return out.isClosed();
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

package org.qkdnf.kms.sk;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import com.google.protobuf.Timestamp;

import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.relay.LinkRelayCounters;
import org.qkdnf.kms.service.KeyServiceManager;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.CommandResults;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyServiceCounters;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;
import org.qkdnf.proto.keymgmt.v1.PoolReport;
import org.qkdnf.proto.keymgmt.v1.RelayCounters;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key manager's Sk stream to the controller: dials with the key manager's certificate
 * (OU kms, CN its qkdn_id), sends KmsHello and its inventory (the links it holds lanes of, from
 * the pool names {@code <qkdl_id>/<owner qkdn_id>}), then pool levels and relay counters every
 * report interval (and the inventory again when it changed); has InstallRoute and RemoveRoute
 * executed by {@link RouteCommands} (many at a time, in order per service id, each answered with
 * its request_id once its change is durable). When the stream ends it reconnects with exponential
 * back-off ({@value #BACKOFF_MIN_MS} ms doubling to {@value #BACKOFF_MAX_MS} ms, reset by a HelloAck).
 *
 * <p>Batches: the hello says this key manager takes KmsCommandBatch. Results wait in their
 * stream's outbox; the first one into an empty outbox queues a flush on the client thread, which
 * sends everything that finished meanwhile (typically every install one sync made durable) as one
 * CommandResults, or one by one to a controller that never sent a batch.
 *
 * <p>Threads: one thread ({@code sk-client-<node>}) owns the stream state and does all sending and
 * reporting; gRPC callbacks and finished commands only hand work to it, tagged with the stream
 * they came from so that a late callback of an old stream is ignored. Commands are executed
 * off this thread (their durable writes must not hold up the stream).
 */
public final class SkClient implements AutoCloseable {

    static final long BACKOFF_MIN_MS = 250;
    static final long BACKOFF_MAX_MS = 10_000;
    /** Results per CommandResults at most: about 80 bytes each, far under the message limit. */
    static final int MAX_RESULTS_PER_MESSAGE = 4096;
    private static final Logger log = LoggerFactory.getLogger(SkClient.class);

    private final String qkdnId;
    private final String kmeId;
    private final String etsi014Address;
    private final KeyPoolStore pools;
    private final java.util.function.Supplier<Map<String, LinkRelayCounters>> relayCounters;
    private final KeyServiceManager services;
    private final Duration defaultInterval;
    private final ManagedChannel channel;
    private final ScheduledExecutorService thread;
    private final RouteCommands commands;
    private final String instanceId = UUID.randomUUID().toString();

    // Confined to `thread`.
    private Stream stream;
    private long backoffMs = BACKOFF_MIN_MS;
    private ScheduledFuture<?> reports;
    private KmsInventory lastInventory;
    private boolean closed;
    private volatile boolean helloAcked;

    /** One attempt: its request side and its sequence numbers. */
    private final class Stream implements ClientResponseObserver<ConnectRequest, ConnectResponse> {
        StreamObserver<ConnectRequest> out;
        long seq;
        /** The controller sent a batch, so it reads CommandResults. Client thread only. */
        boolean controllerBatches;
        /** Results not yet sent, from any thread; {@code flushQueued} while a flush is posted. */
        final ConcurrentLinkedQueue<CommandResult> results = new ConcurrentLinkedQueue<>();
        final AtomicBoolean flushQueued = new AtomicBoolean();

        @Override
        public void beforeStart(ClientCallStreamObserver<ConnectRequest> requestStream) {
            out = requestStream;
        }

        void send(ConnectRequest.Builder r) {
            out.onNext(r.setSeq(++seq).build());
        }

        @Override
        public void onNext(ConnectResponse r) {
            post(() -> onResponse(this, r));
        }

        @Override
        public void onError(Throwable t) {
            post(() -> ended(this, Status.fromThrowable(t)));
        }

        @Override
        public void onCompleted() {
            post(() -> ended(this, Status.UNAVAILABLE.withDescription("controller closed the stream")));
        }
    }

    /**
     * @param target         the controller's gRPC address, host:port
     * @param etsi014Address where SAEs reach this key manager's ETSI 014 API, host:port
     */
    public SkClient(String target, TlsFiles tls, String qkdnId, String kmeId, String etsi014Address,
                    KeyPoolStore pools, java.util.function.Supplier<Map<String, LinkRelayCounters>> relayCounters,
                    KeyServiceManager services, Duration reportInterval) {
        this.qkdnId = Objects.requireNonNull(qkdnId, "qkdnId");
        this.kmeId = Objects.requireNonNull(kmeId, "kmeId");
        this.etsi014Address = Objects.requireNonNull(etsi014Address, "etsi014Address");
        this.pools = Objects.requireNonNull(pools, "pools");
        this.relayCounters = Objects.requireNonNull(relayCounters, "relayCounters");
        this.services = Objects.requireNonNull(services, "services");
        this.defaultInterval = Objects.requireNonNull(reportInterval, "reportInterval");
        this.channel = NettyChannelBuilder.forTarget(target, GrpcTls.channelCredentials(tls))
                .keepAliveTime(30, TimeUnit.SECONDS).build();
        this.commands = new RouteCommands(qkdnId, services);
        this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "sk-client-" + qkdnId);
            t.setDaemon(true);
            return t;
        });
    }

    private void post(Runnable r) {
        try {
            thread.execute(r);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            log.trace("closed", e);
        }
    }

    /** Starts connecting (in the background). */
    public SkClient start() {
        thread.execute(this::connect);
        return this;
    }

    /** Whether the controller acknowledged the hello of the current stream. */
    public boolean isRegistered() {
        return helloAcked;
    }

    private void connect() {
        if (closed) {
            return;
        }
        Stream s = new Stream();
        stream = s;
        lastInventory = null;
        try {
            KeyManagementServiceGrpc.newStub(channel).connect(s);
            s.send(ConnectRequest.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(qkdnId).setKmeId(kmeId)
                    .setEtsi014Address(etsi014Address).setAgentVersion("qkdnf-kms-agent")
                    .setAgentInstanceId(instanceId).setAcceptsCommandBatches(true)));
            sendInventoryIfChanged(s);
        } catch (RuntimeException e) {
            ended(s, Status.fromThrowable(e));
        }
    }

    private void onResponse(Stream s, ConnectResponse r) {
        if (s != stream || closed) {
            return;
        }
        if (r.hasHelloAck()) {
            helloAcked = true;
            backoffMs = BACKOFF_MIN_MS;
            long ms = r.getHelloAck().getReportIntervalMs() > 0 ? r.getHelloAck().getReportIntervalMs()
                    : defaultInterval.toMillis();
            log.info("node {}: registered with controller {} (reports every {} ms)", qkdnId,
                    r.getHelloAck().getControllerId(), ms);
            if (reports != null) {
                reports.cancel(false);
            }
            reports = thread.scheduleWithFixedDelay(() -> report(s), 0, ms, TimeUnit.MILLISECONDS);
        } else if (r.hasCommand()) {
            answerWhenDone(s, r.getCommand().getRequestId(), commands.submit(r.getCommand()));
        } else if (r.hasCommands()) {
            s.controllerBatches = true;
            List<KmsCommand> batch = r.getCommands().getCommandsList();
            List<CompletableFuture<OperationResult>> answers = commands.submitAll(batch);
            for (int i = 0; i < batch.size(); i++) {
                answerWhenDone(s, batch.get(i).getRequestId(), answers.get(i));
            }
        }
    }

    private void answerWhenDone(Stream s, String requestId, CompletableFuture<OperationResult> answer) {
        answer.thenAccept(result -> {
            s.results.add(CommandResult.newBuilder().setRequestId(requestId).setResult(result).build());
            if (s.flushQueued.compareAndSet(false, true)) {
                post(() -> flushResults(s));
            }
        });
    }

    /** Sends the finished results on the stream that brought their commands, if it is still the current one. */
    private void flushResults(Stream s) {
        s.flushQueued.set(false);
        if (s != stream || closed) {
            log.debug("node {}: {} results not sent, their stream is gone", qkdnId, s.results.size());
            s.results.clear();
            return;
        }
        try {
            CommandResults.Builder batch = CommandResults.newBuilder();
            for (CommandResult r = s.results.poll(); r != null; r = s.results.poll()) {
                if (!s.controllerBatches) {
                    s.send(ConnectRequest.newBuilder().setCommandResult(r));
                    continue;
                }
                batch.addResults(r);
                if (batch.getResultsCount() == MAX_RESULTS_PER_MESSAGE) {
                    s.send(ConnectRequest.newBuilder().setCommandResults(batch));
                    batch = CommandResults.newBuilder();
                }
            }
            if (batch.getResultsCount() > 0) {
                s.send(ConnectRequest.newBuilder().setCommandResults(batch));
            }
        } catch (RuntimeException e) {
            log.debug("node {}: results not sent, stream gone", qkdnId, e);
        }
    }

    private void report(Stream s) {
        if (s != stream || closed) {
            return;
        }
        try {
            sendInventoryIfChanged(s);
            List<PoolLevels> levels = pools.levels();
            PoolReport.Builder pr = PoolReport.newBuilder();
            Instant now = Instant.now();
            pr.setMeasuredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()));
            for (PoolLevels l : levels) {
                int slash = l.qkdlId().indexOf('/');
                pr.addPools(PoolLevel.newBuilder().setQkdlId(slash < 0 ? l.qkdlId() : l.qkdlId().substring(0, slash))
                        .setOwnerQkdnId(slash < 0 ? "" : l.qkdlId().substring(slash + 1))
                        .setMaxBits(l.maxBits()).setAvailableBits(l.availableBits()).setProducedBits(l.producedBits())
                        .setConsumedBits(l.consumedBits()).setDiscardedBits(l.discardedBits()));
            }
            s.send(ConnectRequest.newBuilder().setPoolReport(pr));
            RelayCounters.Builder rc = RelayCounters.newBuilder();
            for (LinkRelayCounters c : new TreeMap<>(relayCounters.get()).values()) {
                rc.addLinks(org.qkdnf.proto.keymgmt.v1.LinkRelayCounters.newBuilder().setQkdlId(c.qkdlId())
                        .setMessagesSent(c.messagesSent()).setBitsSent(c.bitsSent()).setAuthBitsSent(c.authBitsSent())
                        .setMessagesReceived(c.messagesReceived()).setBitsReceived(c.bitsReceived())
                        .setAuthBitsReceived(c.authBitsReceived()).setFailures(c.failures()));
            }
            KeyServiceManager.ServiceCounters sc = services.counters();
            rc.setServices(KeyServiceCounters.newBuilder().setKeysDeliveredToMaster(sc.keysDeliveredToMaster())
                    .setKeysDeliveredToSlave(sc.keysDeliveredToSlave()).setBitsRelayed(sc.bitsRelayed())
                    .setBitsReceived(sc.bitsReceived()).setRelayFailures(sc.relayFailures()));
            services.services().forEach(d -> rc.addInstalledServiceIds(d.serviceId().toString()));
            s.send(ConnectRequest.newBuilder().setRelayCounters(rc));
        } catch (RuntimeException e) {
            log.debug("node {}: report not sent", qkdnId, e);
        }
    }

    /** The links this node holds lanes of: pools {@code <qkdl_id>/<owner>} whose owner is another node. */
    private void sendInventoryIfChanged(Stream s) {
        Map<String, String> neighbours = new TreeMap<>();
        for (String pool : pools.pools()) {
            int slash = pool.indexOf('/');
            if (slash > 0 && !pool.substring(slash + 1).equals(qkdnId)) {
                neighbours.put(pool.substring(0, slash), pool.substring(slash + 1));
            }
        }
        List<KmLink> links = new ArrayList<>();
        neighbours.forEach((l, n) -> links.add(KmLink.newBuilder().setQkdlId(l).setNeighbourQkdnId(n).build()));
        KmsInventory inv = KmsInventory.newBuilder().addAllKmLinks(links).build();
        if (!inv.equals(lastInventory)) {
            s.send(ConnectRequest.newBuilder().setInventory(inv));
            lastInventory = inv;
        }
    }

    private void ended(Stream s, Status status) {
        if (s != stream || closed) {
            return;
        }
        stream = null;
        helloAcked = false;
        if (reports != null) {
            reports.cancel(false);
            reports = null;
        }
        try {
            s.out.onError(Status.CANCELLED.withDescription("stream ended").asRuntimeException());
        } catch (RuntimeException e) {
            log.trace("already closed", e);
        }
        log.info("node {}: controller stream ended ({} {}); reconnecting in {} ms", qkdnId, status.getCode(),
                status.getDescription(), backoffMs);
        thread.schedule(this::connect, backoffMs, TimeUnit.MILLISECONDS);
        backoffMs = Math.min(BACKOFF_MAX_MS, backoffMs * 2);
    }

    /** Closes the stream and the channel (bounded). Idempotent. */
    @Override
    public void close() {
        try {
            thread.submit(() -> {
                closed = true;
                helloAcked = false;
                if (stream != null && stream.out != null) {
                    try {
                        stream.out.onCompleted();
                    } catch (RuntimeException e) {
                        log.trace("already closed", e);
                    }
                }
                stream = null;
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            if (e instanceof InterruptedException) {
                Thread.currentThread().interrupt();
            }
        }
        thread.shutdownNow();
        commands.close();
        channel.shutdown();
        try {
            if (!channel.awaitTermination(2, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}

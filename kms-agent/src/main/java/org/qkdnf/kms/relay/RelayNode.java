package org.qkdnf.kms.relay;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.grpc.ClientInterceptor;
import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import org.qkdnf.common.concurrent.OrderlyShutdown;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.PeerIdentityInterceptor;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Kk key relay of one key manager: serves {@code qkdnf.keyrelay.v1.KeyRelayService} to its
 * neighbours over mTLS, relays keys it originates, and forwards keys that pass through it.
 *
 * <p>Usage: build with {@link #builder}, {@link #start()}, {@link #addNeighbor} for every node this
 * one shares a link with (both lanes of the link must be pools of the store), then
 * {@link #relayLaneKey} (a key service's source: fresh key of its first link) or
 * {@link #relay(UUID, List, byte[])} (any other key). Keys that end here go to the {@link RelayedKeySink}.
 *
 * <p>The store is the caller's: {@link #close()} does not close it. Thread-safe.
 */
public final class RelayNode implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RelayNode.class);

    /** Largest key one message carries, bytes (1 MiB: one message stays far below gRPC's 4 MiB limit). */
    public static final int MAX_PAYLOAD_BYTES = 1024 * 1024;
    /**
     * HTTP/2 flow-control window of a Kk stream and connection, both directions: several 1 MiB
     * messages in flight, so a sender is not held to one message per window update (gRPC's
     * default, 1 MiB tuned by bandwidth-delay pings, stays near 1 MiB on a short path).
     */
    static final int FLOW_CONTROL_WINDOW_BYTES = 16 * 1024 * 1024;

    private final RelayContext ctx;
    private final Builder config;
    private final Map<String, HopSender> sendersByNode = new ConcurrentHashMap<>();
    private final Map<String, RelayNeighbor> neighborsByLink = new ConcurrentHashMap<>();
    private final Map<UUID, long[]> lastSent = new ConcurrentHashMap<>();
    private final SequenceGuard sequences = new SequenceGuard();
    /** Lanes whose trims were logged at INFO already (the later ones at DEBUG); touched by the trimmer thread only. */
    private final Set<String> trimmedLanes = new HashSet<>();
    private Server server;
    /** Trims this node's lanes ({@link #trimLanes}); its one thread is the only caller of {@code trimIfAbove}. */
    private ScheduledExecutorService trimmer;

    private RelayNode(Builder b) {
        this.config = b;
        this.ctx = new RelayContext(b.nodeId, b.store, b.alarms, MAX_PAYLOAD_BYTES, b.keyArrivalWait);
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Starts the Kk server. */
    public synchronized RelayNode start() {
        HopReceiver receiver = new HopReceiver(ctx, neighborsByLink::get, sendersByNode::get, config.sink, sequences);
        server = NettyServerBuilder.forAddress(new InetSocketAddress(config.bindHost, config.port),
                        GrpcTls.serverCredentials(config.tls))
                .flowControlWindow(FLOW_CONTROL_WINDOW_BYTES)
                .addService(InboundHopMarshaller.apply(ServerInterceptors.intercept(new KeyRelayGrpcService(receiver),
                        new PeerIdentityInterceptor(Set.of("kms")))))
                .build();
        try {
            server.start();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot start Kk server on " + config.bindHost + ":" + config.port, e);
        }
        log.info("Kk relay of node {} listening on {}:{}", ctx.selfId, config.bindHost, server.getPort());
        if (!config.laneTrimInterval.isZero()) {
            trimmer = Executors.newSingleThreadScheduledExecutor(r -> {
                Thread t = new Thread(r, "kk-lane-trim-" + ctx.selfId);
                t.setDaemon(true);
                return t;
            });
            long ms = config.laneTrimInterval.toMillis();
            trimmer.scheduleWithFixedDelay(this::trimLanes, ms, ms, TimeUnit.MILLISECONDS);
        }
        return this;
    }

    /**
     * Trims every lane of this node that holds more than {@link Builder#laneTrim its high-water
     * mark} of its maximum down to the low-water mark (see {@code LaneTrim} in the proto for why a
     * full lane must not stay full). Runs on the trimmer thread.
     */
    void trimLanes() {
        for (HopSender sender : sendersByNode.values()) {
            String lane = LaneIds.of(sender.neighbor().qkdlId(), ctx.selfId);
            try {
                long max = ctx.store.levels(lane).maxBits();
                long high = (long) (max * config.laneHighWater) / 8 * 8;
                long low = (long) (max * config.laneLowWater) / 8 * 8;
                CompletableFuture<RelayHopResponse> trim = sender.trimIfAbove(high, low);
                if (trim == null) {
                    continue;
                }
                RelayHopResponse r = trim.join();
                if (r.getResult().getCode() != Status.Code.OK.value()) {
                    continue;  // the sender counted and alarmed it
                }
                String what = "node {}: lane {} held more than {} of its {} bits and is trimmed to {} (its oldest key "
                        + "discarded at both ends; nobody draws it fast enough)";
                if (trimmedLanes.add(lane)) {
                    log.info(what, ctx.selfId, lane, high, max, low);
                } else {
                    log.debug(what, ctx.selfId, lane, high, max, low);
                }
            } catch (KeyPoolException | CompletionException e) {
                log.debug("node {}: lane {} not trimmed: {}", ctx.selfId, lane, e.getMessage());
            } catch (RuntimeException e) {
                log.warn("node {}: trimming lane {} failed", ctx.selfId, lane, e);
            }
        }
    }

    /** The port the Kk server listens on. */
    public int port() {
        return server.getPort();
    }

    public String nodeId() {
        return ctx.selfId;
    }

    /**
     * Adds (or replaces) a neighbour: a node this one shares the link {@code qkdlId} with. The
     * store must hold both lanes of the link.
     */
    public void addNeighbor(RelayNeighbor neighbor) {
        Objects.requireNonNull(neighbor, "neighbor");
        if (neighbor.qkdnId().equals(ctx.selfId)) {
            throw new IllegalArgumentException("neighbor.qkdnId: cannot be this node");
        }
        HopSender sender = new HopSender(ctx, neighbor, config.tls, config.interceptors, config.maxInFlightPerLink,
                config.messageTimeout, config.reservationMaxBytes * 8L);
        neighborsByLink.put(neighbor.qkdlId(), neighbor);
        HopSender old = sendersByNode.put(neighbor.qkdnId(), sender);
        if (old != null) {
            old.close();
        }
    }

    /**
     * Relays {@code key} along {@code route} under the next sequence number of the service (one
     * above the last this node sent for it).
     *
     * @see #relay(UUID, long, List, byte[])
     */
    public CompletableFuture<RelayReceipt> relay(UUID serviceId, List<String> route, byte[] key) {
        return relay(serviceId, 0, route, key);
    }

    /**
     * Relays {@code key} from this node along {@code route}: one-time-pad encrypted and
     * authenticated on every hop with fresh link key. Blocks while too many messages to the first
     * neighbour wait for their results; the future completes when the last node accepted the key.
     *
     * <p>For a key that does not come from this node's lane of the first link (the first hop then
     * pads it with key of that lane, so the lane spends the key's length twice over). Fresh key to
     * be shared with the last node, as a key service's source relays, is
     * {@link #relayLaneKey}'s job: its first hop carries no pad.
     *
     * @param serviceId the key service
     * @param sequence  its relay sequence number, above every one sent before for the service; 0
     *                  to take the next one
     * @param route     qkdn_ids from this node to the last, distinct, at least two
     * @param key       the key, 1 to {@link #MAX_PAYLOAD_BYTES} bytes; not kept (erase it when done)
     * @return the receipt, or a failure with {@link RelayException} naming the hop that failed
     */
    public CompletableFuture<RelayReceipt> relay(UUID serviceId, long sequence, List<String> route, byte[] key) {
        Objects.requireNonNull(key, "key");
        if (key.length == 0 || key.length > MAX_PAYLOAD_BYTES) {
            return CompletableFuture.failedFuture(new RelayException(Status.Code.INVALID_ARGUMENT, 0,
                    "key: must be 1.." + MAX_PAYLOAD_BYTES + " bytes, got " + key.length));
        }
        return relayFrom(serviceId, sequence, route, key.length, (sender, seq, r) -> sender.send(serviceId, seq, r, 1, key));
    }

    /**
     * Relays {@code keyBytes} of fresh key of this node's lane of the route's first link to the
     * last node of {@code route} and returns the same key: as a key service's source does (ITU-T
     * Y.3803), the first hop names the key's range of the lane, which the first neighbour holds
     * too, instead of padding it (so the first link spends the key plus a 256-bit MAC key, not twice
     * the key); every later hop pads it as {@link #relay(UUID, long, List, byte[])} does. The key
     * is taken by the first hop's sender, in the lane's order, as the next slice of its
     * reservation; there is no separate reserve.
     *
     * @param sequence as for {@link #relay(UUID, long, List, byte[])}
     * @param keyBytes length of the key, 1 to {@link #MAX_PAYLOAD_BYTES}
     * @return the key once the last node accepted it (its {@link RelayedKeySink} got the same
     *         bits); or a failure with {@link RelayException} naming the hop, and then the key is
     *         erased here and spent at both ends of the first link, never used
     */
    public CompletableFuture<LaneKeyReceipt> relayLaneKey(UUID serviceId, long sequence, List<String> route,
                                                          int keyBytes) {
        if (keyBytes < 1 || keyBytes > MAX_PAYLOAD_BYTES) {
            return CompletableFuture.failedFuture(new RelayException(Status.Code.INVALID_ARGUMENT, 0,
                    "keyBytes: must be 1.." + MAX_PAYLOAD_BYTES + ", got " + keyBytes));
        }
        byte[] key = new byte[keyBytes];
        return relayFrom(serviceId, sequence, route, keyBytes, (sender, seq, r) -> sender.sendLaneKey(serviceId, seq, r, key))
                .handle((receipt, t) -> {
                    if (t != null) {
                        Arrays.fill(key, (byte) 0);
                        throw t instanceof CompletionException ? (CompletionException) t : new CompletionException(t);
                    }
                    return new LaneKeyReceipt(receipt, key);
                });
    }

    /** How the first hop of a relay is sent, once its sequence number is chosen. */
    @FunctionalInterface
    private interface FirstHop {
        CompletableFuture<RelayHopResponse> send(HopSender sender, long sequence, List<String> route);
    }

    /** The checks and sequence numbering both kinds of relay share; {@code firstHop} sends. */
    private CompletableFuture<RelayReceipt> relayFrom(UUID serviceId, long sequence, List<String> route, int keyBytes,
                                                      FirstHop firstHop) {
        Objects.requireNonNull(serviceId, "serviceId");
        Objects.requireNonNull(route, "route");
        if (route.size() < 2 || !route.get(0).equals(ctx.selfId) || new HashSet<>(route).size() != route.size()) {
            return CompletableFuture.failedFuture(new RelayException(Status.Code.INVALID_ARGUMENT, 0,
                    "route: must start at this node (" + ctx.selfId + ") and list at least 2 distinct nodes"));
        }
        HopSender sender = sendersByNode.get(route.get(1));
        if (sender == null) {
            Hop hop = new Hop(1, ctx.selfId, route.get(1), "?");
            return CompletableFuture.failedFuture(RelayException.at(hop, Status.Code.FAILED_PRECONDITION,
                    "route_qkdn_ids: this node has no link to node " + route.get(1)));
        }
        long[] last = lastSent.computeIfAbsent(serviceId, id -> new long[1]);
        CompletableFuture<RelayHopResponse> sent;
        long seq;
        // Per service: the sequence check and the send happen together, so sequence order is stream order.
        synchronized (last) {
            seq = sequence == 0 ? last[0] + 1 : sequence;
            if (Long.compareUnsigned(seq, last[0]) <= 0) {
                return CompletableFuture.failedFuture(new RelayException(Status.Code.INVALID_ARGUMENT, 0,
                        "sequence: " + Long.toUnsignedString(seq) + " is not above "
                                + Long.toUnsignedString(last[0]) + ", the last sent for service " + serviceId));
            }
            last[0] = seq;
            sent = firstHop.send(sender, seq, List.copyOf(route));
        }
        int hops = route.size() - 1;
        long bits = keyBytes * 8L;
        return sent.thenApply(r -> {
            if (r.getResult().getCode() != Status.Code.OK.value()) {
                throw new RelayException(Status.fromCodeValue(r.getResult().getCode()).getCode(),
                        r.getResultHopIndex(), r.getResult().getMessage());
            }
            return new RelayReceipt(serviceId, seq, hops, bits);
        });
    }

    /** Forgets the sequence numbers of a deleted service. */
    public void forgetService(UUID serviceId) {
        lastSent.remove(serviceId);
        sequences.forget(serviceId);
    }

    /** Counters per link (links this node sent or received relay messages on), by qkdl_id. */
    public Map<String, LinkRelayCounters> counters() {
        return ctx.counters.snapshot();
    }

    /** Stops the server (bounded wait) and the streams to the neighbours. */
    @Override
    public synchronized void close() {
        if (trimmer != null) {
            OrderlyShutdown.stop(trimmer, Duration.ofSeconds(5));  // a trim may be writing the store
        }
        for (HopSender s : new ArrayList<>(sendersByNode.values())) {
            s.close();
        }
        sendersByNode.clear();
        ctx.background.shutdown();
        if (server != null) {
            server.shutdown();
            try {
                if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                    server.shutdownNow();
                }
            } catch (InterruptedException e) {
                server.shutdownNow();
                Thread.currentThread().interrupt();
            }
        }
    }

    @Override
    public String toString() {
        return "RelayNode[" + ctx.selfId + "]";
    }

    /** Configuration of a {@link RelayNode}. */
    public static final class Builder {
        private String nodeId;
        private KeyPoolStore store;
        private TlsFiles tls;
        private String bindHost = "127.0.0.1";
        private int port;
        private RelayedKeySink sink;
        private RelayAlarmListener alarms = alarm -> { };
        private int maxInFlightPerLink = 64;
        private Duration messageTimeout = Duration.ofSeconds(30);
        private Duration keyArrivalWait = Duration.ofSeconds(2);
        private int reservationMaxBytes = 8 * 1024 * 1024;
        private Duration laneTrimInterval = Duration.ofSeconds(1);
        private double laneHighWater = 0.9;
        private double laneLowWater = 0.75;
        private final List<ClientInterceptor> interceptors = new ArrayList<>();

        private Builder() {
        }

        /** This node's qkdn_id; its kms certificate's CN. */
        public Builder nodeId(String nodeId) {
            this.nodeId = nodeId;
            return this;
        }

        /** The pool store holding both lanes of every link of this node. */
        public Builder store(KeyPoolStore store) {
            this.store = store;
            return this;
        }

        /** This node's kms certificate, key and trusted CA (server and client side). */
        public Builder tls(TlsFiles tls) {
            this.tls = tls;
            return this;
        }

        /** Address to listen on (default 127.0.0.1) and port (default 0: any free port). */
        public Builder listen(String host, int port) {
            this.bindHost = host;
            this.port = port;
            return this;
        }

        /** Where keys whose route ends here go. */
        public Builder sink(RelayedKeySink sink) {
            this.sink = sink;
            return this;
        }

        public Builder alarmListener(RelayAlarmListener alarms) {
            this.alarms = alarms;
            return this;
        }

        /** Messages per neighbour that may wait for their result at once (default 64). */
        public Builder maxInFlightPerLink(int max) {
            this.maxInFlightPerLink = max;
            return this;
        }

        /** How long a sent message may wait for its result (default 30 s). */
        public Builder messageTimeout(Duration timeout) {
            this.messageTimeout = timeout;
            return this;
        }

        /**
         * How long a receiver waits for blocks a message's ranges need but this end has not
         * received yet from its key supply (default 2 s): the two ends of a link get the same
         * blocks, not at the same instant.
         */
        public Builder keyArrivalWait(Duration wait) {
            this.keyArrivalWait = wait;
            return this;
        }

        /**
         * Largest reservation a sender takes from its lane at once, bytes (default 8 MiB; never
         * more than half the key the lane holds). Consecutive messages use consecutive slices of
         * it, so one durable store update covers many messages: the store's sync latency, not the
         * cipher, otherwise bounds the relay rate. 0 reserves exactly what each message needs.
         */
        public Builder reservationMaxBytes(int bytes) {
            this.reservationMaxBytes = bytes;
            return this;
        }

        /**
         * How this node keeps its lanes from staying full (default: every second, trim a lane
         * above 90 % of its maximum to 75 %). A link's key supply pauses while either end holds a
         * full lane, so a lane nobody draws would stop the link for good; its owner discards its
         * oldest key instead, and the neighbour the same bits. {@code interval} zero turns it off
         * (tests of a full lane).
         *
         * @param highWater fraction of a lane's maximum above which it is trimmed, in (0, 1]
         * @param lowWater  fraction left after a trim, in [0, highWater)
         */
        public Builder laneTrim(Duration interval, double highWater, double lowWater) {
            this.laneTrimInterval = Objects.requireNonNull(interval, "interval");
            this.laneHighWater = highWater;
            this.laneLowWater = lowWater;
            return this;
        }

        /** Interceptors for the channels to the neighbours (metrics, tracing, fault injection in tests). */
        public Builder clientInterceptor(ClientInterceptor interceptor) {
            this.interceptors.add(interceptor);
            return this;
        }

        public RelayNode build() {
            Objects.requireNonNull(nodeId, "nodeId");
            Objects.requireNonNull(store, "store");
            Objects.requireNonNull(tls, "tls");
            Objects.requireNonNull(sink, "sink");
            Objects.requireNonNull(alarms, "alarmListener");
            if (reservationMaxBytes < 0 || reservationMaxBytes > Integer.MAX_VALUE / 8) {
                throw new IllegalArgumentException("reservationMaxBytes: must be 0.." + Integer.MAX_VALUE / 8);
            }
            if (laneTrimInterval.isNegative()) {
                throw new IllegalArgumentException("laneTrim.interval: must not be negative");
            }
            if (!(laneHighWater > 0 && laneHighWater <= 1)) {
                throw new IllegalArgumentException("laneTrim.highWater: must be in (0, 1], got " + laneHighWater);
            }
            if (!(laneLowWater >= 0 && laneLowWater < laneHighWater)) {
                throw new IllegalArgumentException("laneTrim.lowWater: must be in [0, highWater), got " + laneLowWater);
            }
            if (maxInFlightPerLink < 1) {
                throw new IllegalArgumentException("maxInFlightPerLink: must be >= 1");
            }
            return new RelayNode(this);
        }
    }
}

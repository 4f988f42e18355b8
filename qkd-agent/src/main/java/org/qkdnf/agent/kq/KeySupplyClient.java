package org.qkdnf.agent.kq;

import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;

import com.google.protobuf.UnsafeByteOperations;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.common.concurrent.OrderlyShutdown;
import org.qkdnf.proto.keysupply.v1.BlockAck;
import org.qkdnf.proto.keysupply.v1.KeyBlockBatch;
import org.qkdnf.proto.keysupply.v1.KeySupplyServiceGrpc;
import org.qkdnf.proto.keysupply.v1.LinkPosition;
import org.qkdnf.proto.keysupply.v1.SupplyLink;
import org.qkdnf.proto.keysupply.v1.SupplyOpen;
import org.qkdnf.proto.keysupply.v1.SupplyRequest;
import org.qkdnf.proto.keysupply.v1.SupplyResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kq at the agent: streams every link's key blocks, in order, to the node's key manager over
 * mutual TLS. The key manager says where each link continues (so a restart of either side neither
 * loses nor repeats a block) and acknowledges blocks once durable; at most {@value #WINDOW_BLOCKS}
 * blocks per link are in flight. A block is dropped by the agent only once acknowledged: the
 * simulated modules can derive any produced block again, which is how "kept until acknowledged"
 * holds across the agent's own restarts too. A full pool pauses its link; the blocks wait.
 *
 * <p>Threads: one thread owns the stream and every link's position; gRPC callbacks hand their
 * work to it.
 */
public final class KeySupplyClient implements AutoCloseable {

    static final int WINDOW_BLOCKS = 256;
    static final int BATCH_BLOCKS = 32;
    private static final long PUMP_MS = 20;
    private static final long LINK_REFRESH_MS = 1000;
    private static final long FULL_PAUSE_MS = 500;
    private static final Logger log = LoggerFactory.getLogger(KeySupplyClient.class);

    private final String qkdnId;
    private final Supplier<List<LinkKeySource>> links;
    private final ManagedChannel channel;
    private final ScheduledExecutorService thread;
    private final AtomicLong blocksAcknowledged = new AtomicLong();

    // Owned by `thread`.
    private final Map<String, Position> positions = new HashMap<>();
    private Set<String> openedLinks = new HashSet<>();
    private Stream stream;
    private long nextConnectNanos;
    private long backoffMs = 250;
    private long nextRefreshNanos;
    private boolean closed;

    /**
     * @param qkdnId   this node
     * @param target   the key manager's Kq address, host:port
     * @param credentials the node's mTLS credentials
     * @param links    the node's current links (called on this client's thread)
     */
    public KeySupplyClient(String qkdnId, String target, ChannelCredentials credentials,
                           Supplier<List<LinkKeySource>> links) {
        this.qkdnId = qkdnId;
        this.links = links;
        this.channel = Grpc.newChannelBuilder(target, credentials).build();
        this.thread = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "kq-" + qkdnId.substring(0, 8));
            t.setDaemon(true);
            return t;
        });
    }

    public void start() {
        thread.scheduleWithFixedDelay(this::pumpSafely, 0, PUMP_MS, TimeUnit.MILLISECONDS);
    }

    /** Blocks the key manager has acknowledged since start. */
    public long blocksAcknowledged() {
        return blocksAcknowledged.get();
    }

    /** Whether a stream is open and the key manager has said where to resume. */
    public boolean isSupplying() {
        try {
            return thread.submit(() -> stream != null && stream.resumed).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            return false;
        }
    }

    private void pumpSafely() {
        try {
            pump();
        } catch (RuntimeException e) {
            log.error("node {}: key supply failed", qkdnId, e);
        }
    }

    private void pump() {
        if (closed) {
            return;
        }
        long now = System.nanoTime();
        if (stream == null) {
            if (now >= nextConnectNanos) {
                connect();
            }
            return;
        }
        if (now >= nextRefreshNanos) {
            nextRefreshNanos = now + TimeUnit.MILLISECONDS.toNanos(LINK_REFRESH_MS);
            refreshLinks();
        }
        if (!stream.resumed) {
            return;
        }
        for (Position p : positions.values()) {
            if (p.resumedAt < 0 || now < p.pausedUntilNanos) {
                continue;
            }
            long produced = p.source.keys().producedBlocks();
            while (p.next < produced && p.next - p.acked < WINDOW_BLOCKS && stream.out.isReady()) {
                long end = Math.min(Math.min(produced, p.next + BATCH_BLOCKS), p.acked + WINDOW_BLOCKS);
                KeyBlockBatch.Builder batch = KeyBlockBatch.newBuilder().setQkdlId(p.source.qkdlId());
                for (long i = p.next; i < end; i++) {
                    KeyBlock b = p.source.keys().block(i);
                    batch.addBlocks(org.qkdnf.proto.keysupply.v1.KeyBlock.newBuilder()
                            .setBlockId(b.blockId().toString()).setIndex(i)
                            .setKey(UnsafeByteOperations.unsafeWrap(b.key())));
                }
                stream.out.onNext(SupplyRequest.newBuilder().setBlocks(batch).build());
                p.next = end;
            }
        }
    }

    private void connect() {
        channel.resetConnectBackoff();
        Stream s = new Stream();
        stream = s;
        KeySupplyServiceGrpc.newStub(channel).supply(s);
        openedLinks = new HashSet<>();
        positions.values().forEach(p -> p.resumedAt = -1);
        refreshLinks();
    }

    /** Sends an Open when the node's links changed (and on every new stream). */
    private void refreshLinks() {
        List<LinkKeySource> current = links.get();
        Set<String> ids = new HashSet<>();
        current.forEach(l -> ids.add(l.qkdlId()));
        positions.keySet().retainAll(ids);
        if (ids.equals(openedLinks)) {
            return;
        }
        SupplyOpen.Builder open = SupplyOpen.newBuilder().setQkdnId(qkdnId);
        for (LinkKeySource l : current) {
            Position p = positions.get(l.qkdlId());
            if (p == null || p.source.keys() != l.keys()) {
                positions.put(l.qkdlId(), new Position(l));
            }
            open.addLinks(SupplyLink.newBuilder().setQkdlId(l.qkdlId())
                    .setTransmitterQkdnId(l.transmitterQkdnId()).setReceiverQkdnId(l.receiverQkdnId())
                    .setBlockBits(l.keys().blockBits()));
        }
        openedLinks = ids;
        stream.out.onNext(SupplyRequest.newBuilder().setOpen(open).build());
    }

    private void onResponse(Stream s, SupplyResponse r) {
        if (s != stream) {
            return;
        }
        switch (r.getMessageCase()) {
            case RESUME:
                s.resumed = true;
                backoffMs = 250;
                for (LinkPosition lp : r.getResume().getPositionsList()) {
                    Position p = positions.get(lp.getQkdlId());
                    if (p != null) {
                        p.source.keys().advanceTo(lp.getNextBlockIndex());
                        p.next = lp.getNextBlockIndex();
                        p.acked = lp.getNextBlockIndex();
                        p.resumedAt = lp.getNextBlockIndex();
                    }
                }
                break;
            case ACK:
                BlockAck a = r.getAck();
                Position p = positions.get(a.getQkdlId());
                if (p == null) {
                    return;
                }
                if (a.getNextBlockIndex() > p.acked) {
                    blocksAcknowledged.addAndGet(a.getNextBlockIndex() - p.acked);
                    p.acked = a.getNextBlockIndex();
                    // Tell the source: a driver that holds blocks in memory may drop them now.
                    p.source.keys().advanceTo(p.acked);
                }
                if (a.getPoolFull()) {
                    // Nothing of that batch was stored: offer it again once the pool has room.
                    p.next = p.acked;
                    p.pausedUntilNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(FULL_PAUSE_MS);
                }
                break;
            default:
                log.warn("node {}: unknown key supply message {}", qkdnId, r.getMessageCase());
        }
    }

    private void onEnded(Stream s, Status status) {
        if (s != stream) {
            return;
        }
        stream = null;
        long delay = (long) (backoffMs * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        backoffMs = Math.min(5000, (long) (backoffMs * 1.6));
        nextConnectNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        log.info("node {}: key supply stream ended ({} {}); reconnecting in {} ms", qkdnId, status.getCode(),
                status.getDescription() == null ? "" : status.getDescription(), delay);
    }

    @Override
    public void close() {
        try {
            thread.submit(() -> {
                closed = true;
                if (stream != null) {
                    stream.out.onCompleted();
                    stream = null;
                }
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("key supply thread already stopped", e);
        }
        // Not interrupted first: acknowledgements it applies write a driver's journal (a file).
        OrderlyShutdown.stop(thread, Duration.ofSeconds(5));
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
        }
    }

    /** A link's position in its key stream. Owned by the client's thread. */
    private static final class Position {
        final LinkKeySource source;
        /** Next block to send, and first block not yet acknowledged. */
        long next;
        long acked;
        /** Where the key manager said to resume on the current stream; -1 until it has. */
        long resumedAt = -1;
        long pausedUntilNanos;

        Position(LinkKeySource source) {
            this.source = source;
        }
    }

    /** One Kq stream; callbacks move to the client's thread. */
    private final class Stream implements ClientResponseObserver<SupplyRequest, SupplyResponse> {
        ClientCallStreamObserver<SupplyRequest> out;
        boolean resumed;

        @Override
        public void beforeStart(ClientCallStreamObserver<SupplyRequest> requestStream) {
            out = requestStream;
        }

        @Override
        public void onNext(SupplyResponse value) {
            run(() -> onResponse(this, value));
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            run(() -> onEnded(this, status));
        }

        @Override
        public void onCompleted() {
            run(() -> onEnded(this, Status.UNAVAILABLE.withDescription("key manager ended the stream")));
        }

        private void run(Runnable r) {
            try {
                thread.execute(r);
            } catch (RejectedExecutionException e) {
                // closing
            }
        }
    }
}

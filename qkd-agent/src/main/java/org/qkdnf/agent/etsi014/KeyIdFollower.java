package org.qkdnf.agent.etsi014;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.qkdnf.proto.devicekeys.v1.DeviceKeyIdServiceGrpc;
import org.qkdnf.proto.devicekeys.v1.KeyIdEntry;
import org.qkdnf.proto.devicekeys.v1.KeyIdProgress;
import org.qkdnf.proto.devicekeys.v1.KeyIdSubscription;
import org.qkdnf.proto.devicekeys.v1.StreamKeyIdsRequest;
import org.qkdnf.proto.devicekeys.v1.StreamKeyIdsResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The slave end's subscription to the master end's key_IDs: one stream per attached link, opened
 * once the key manager has said where the link's key stream continues, from the first index this
 * end holds no key_ID for; reopened with back-off (250 ms × 1.6ⁿ, at most 5 s, ±20 %) whenever it
 * ends. Reports the key manager's progress so that the master end can forget acknowledged key_IDs.
 *
 * <p>Threads: {@link #tick()} and {@link #close()} run on the driver's id thread, which alone
 * sends on the stream; gRPC callbacks only hand key_IDs to the {@link DeviceLink}.
 */
final class KeyIdFollower implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyIdFollower.class);

    private final ManagedChannel channel;
    private final String target;
    private final Supplier<DeviceLink> current;
    private Stream stream;
    private long nextConnectNanos;
    private long backoffMs = 250;

    KeyIdFollower(String target, ChannelCredentials credentials, Supplier<DeviceLink> current) {
        this.target = target;
        this.channel = Grpc.newChannelBuilder(target, credentials).build();
        this.current = current;
    }

    void tick() {
        DeviceLink link = current.get();
        Stream s = stream;
        if (s != null && (s.link != link || s.ended != null)) {
            if (s.ended != null) {
                onEnded(s);
            } else {
                s.out.cancel("link detached", null);
            }
            stream = null;
            s = null;
        }
        if (link == null || !link.positioned()) {
            return;
        }
        if (s == null) {
            if (System.nanoTime() < nextConnectNanos) {
                link.failing("no key_ID stream from the master end (" + target + ")");
                return;
            }
            channel.resetConnectBackoff();
            s = new Stream(link);
            stream = s;
            DeviceKeyIdServiceGrpc.newStub(channel).streamKeyIds(s);
            long from = link.restartIds();
            s.out.onNext(StreamKeyIdsRequest.newBuilder().setSubscription(KeyIdSubscription.newBuilder()
                    .setQkdlId(link.qkdlId()).setFromIndex(from)).build());
            s.progressSent = -1;
        }
        if (s.received) {
            backoffMs = 250;
        }
        long acked = link.acknowledged();
        if (acked > s.progressSent && s.out.isReady()) {
            s.out.onNext(StreamKeyIdsRequest.newBuilder().setProgress(KeyIdProgress.newBuilder().setNextIndex(acked))
                    .build());
            s.progressSent = acked;
        }
    }

    private void onEnded(Stream s) {
        Status status = s.ended;
        long delay = (long) (backoffMs * (0.8 + 0.4 * ThreadLocalRandom.current().nextDouble()));
        backoffMs = Math.min(5000, (long) (backoffMs * 1.6));
        nextConnectNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        String problem = "key_ID stream from " + target + " ended: " + status.getCode()
                + (status.getDescription() == null ? "" : " " + status.getDescription());
        s.link.failing(problem);
        if (status.getCode() == Status.Code.OUT_OF_RANGE || status.getCode() == Status.Code.PERMISSION_DENIED
                || status.getCode() == Status.Code.NOT_FOUND) {
            log.error("link {}: {}; retrying in {} ms", s.link.qkdlId(), problem, delay);
        } else {
            log.info("link {}: {}; retrying in {} ms", s.link.qkdlId(), problem, delay);
        }
    }

    @Override
    public void close() {
        Stream s = stream;
        if (s != null && s.ended == null) {
            s.out.cancel("agent closing", null);
        }
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

    private final class Stream implements ClientResponseObserver<StreamKeyIdsRequest, StreamKeyIdsResponse> {
        final DeviceLink link;
        ClientCallStreamObserver<StreamKeyIdsRequest> out;
        long progressSent = -1;
        volatile Status ended;
        volatile boolean received;

        Stream(DeviceLink link) {
            this.link = link;
        }

        @Override
        public void beforeStart(ClientCallStreamObserver<StreamKeyIdsRequest> requestStream) {
            out = requestStream;
        }

        @Override
        public void onNext(StreamKeyIdsResponse value) {
            List<KeyIdEntry> entries = value.getBatch().getEntriesList();
            if (entries.isEmpty() || ended != null) {
                return;
            }
            List<UUID> ids = new ArrayList<>(entries.size());
            long first = entries.get(0).getIndex();
            try {
                for (int i = 0; i < entries.size(); i++) {
                    if (entries.get(i).getIndex() != first + i) {
                        throw new IllegalArgumentException("indices not consecutive");
                    }
                    ids.add(UUID.fromString(entries.get(i).getKeyId()));
                }
            } catch (IllegalArgumentException e) {
                ended = Status.INTERNAL.withDescription("bad key_ID batch: " + e.getMessage());
                out.cancel("bad key_ID batch", null);
                return;
            }
            received = true;
            if (!link.addIds(first, ids)) {
                ended = Status.INTERNAL.withDescription("key_IDs from index " + first
                        + " do not continue the ones held");
                out.cancel("key_IDs out of order", null);
            }
        }

        @Override
        public void onError(Throwable t) {
            if (ended == null) {
                ended = Status.fromThrowable(t);
            }
        }

        @Override
        public void onCompleted() {
            if (ended == null) {
                ended = Status.UNAVAILABLE.withDescription("the master end closed the stream");
            }
        }
    }
}

package org.qkdnf.agent.etsi014;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.common.tls.PeerIdentityInterceptor;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.proto.devicekeys.v1.DeviceKeyIdServiceGrpc;
import org.qkdnf.proto.devicekeys.v1.KeyIdBatch;
import org.qkdnf.proto.devicekeys.v1.KeyIdEntry;
import org.qkdnf.proto.devicekeys.v1.StreamKeyIdsRequest;
import org.qkdnf.proto.devicekeys.v1.StreamKeyIdsResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The master end's {@code DeviceKeyIdService}: hands the key_IDs its device gave, in index order,
 * to the agent at the link's far node over mutual TLS. Only that node may subscribe (certificate
 * OU {@code qkd-node}, CN its qkdn_id); one subscription per link at a time, a new one replaces
 * the old. Entries are sent by {@link #pump()}, which the driver calls on its id thread; a
 * subscriber that is not ready (flow control) simply gets them later.
 */
final class KeyIdServer implements AutoCloseable {

    static final int BATCH = 256;
    static final String NODE_ROLE = "qkd-node";
    private static final Logger log = LoggerFactory.getLogger(KeyIdServer.class);

    private final String peerQkdnId;
    private final Supplier<DeviceLink> current;
    private final Server server;
    private Subscriber subscriber;

    /**
     * @param listen     where to listen
     * @param tls        this node's certificate (CN its qkdn_id) and the CA
     * @param peerQkdnId the only node allowed to subscribe
     * @param current    the link attached to the module now, or null
     */
    KeyIdServer(InetSocketAddress listen, TlsFiles tls, String peerQkdnId, Supplier<DeviceLink> current)
            throws IOException {
        this.peerQkdnId = peerQkdnId;
        this.current = current;
        this.server = NettyServerBuilder.forAddress(listen, GrpcTls.serverCredentials(tls))
                .addService(ServerInterceptors.intercept(new Service(), new PeerIdentityInterceptor(Set.of(NODE_ROLE))))
                .build()
                .start();
    }

    int port() {
        return server.getPort();
    }

    /** Sends every subscriber the key_IDs it does not have yet. */
    void pump() {
        Subscriber s;
        synchronized (this) {
            s = subscriber;
        }
        if (s != null) {
            s.pump(current.get());
        }
    }

    @Override
    public void close() {
        server.shutdown();
        try {
            if (!server.awaitTermination(5, TimeUnit.SECONDS)) {
                server.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            server.shutdownNow();
        }
    }

    private void replace(Subscriber next) {
        Subscriber old;
        synchronized (this) {
            old = subscriber;
            subscriber = next;
        }
        // Outside this object's lock: end() takes the subscriber's lock, then this one.
        if (old != null && old != next) {
            old.end(Status.ABORTED.withDescription("replaced by a newer subscription for the link"));
        }
    }

    private synchronized void remove(Subscriber s) {
        if (subscriber == s) {
            subscriber = null;
        }
    }

    private final class Service extends DeviceKeyIdServiceGrpc.DeviceKeyIdServiceImplBase {
        @Override
        public StreamObserver<StreamKeyIdsRequest> streamKeyIds(StreamObserver<StreamKeyIdsResponse> out) {
            PeerIdentity caller = PeerIdentity.current().orElse(null);
            Subscriber s = new Subscriber((ServerCallStreamObserver<StreamKeyIdsResponse>) out);
            if (caller == null || !caller.id().equals(peerQkdnId)) {
                s.end(Status.PERMISSION_DENIED.withDescription("only the link's far node " + peerQkdnId
                        + " may take its key_IDs, not " + (caller == null ? "an unnamed peer" : caller.id())));
            }
            return s;
        }
    }

    /** One slave end's stream. */
    private final class Subscriber implements StreamObserver<StreamKeyIdsRequest> {
        private final ServerCallStreamObserver<StreamKeyIdsResponse> out;
        private DeviceLink link;
        private long next = -1;
        private boolean ended;

        Subscriber(ServerCallStreamObserver<StreamKeyIdsResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(StreamKeyIdsRequest request) {
            synchronized (this) {
                if (ended) {
                    return;
                }
            }
            switch (request.getMessageCase()) {
                case SUBSCRIPTION:
                    subscribe(request.getSubscription().getQkdlId(), request.getSubscription().getFromIndex());
                    break;
                case PROGRESS:
                    DeviceLink l;
                    synchronized (this) {
                        l = link;
                    }
                    if (l == null) {
                        end(Status.FAILED_PRECONDITION.withDescription("progress: send subscription first"));
                        return;
                    }
                    l.slaveProgress(request.getProgress().getNextIndex());
                    break;
                default:
                    end(Status.INVALID_ARGUMENT.withDescription("message: subscription or progress required"));
            }
        }

        private void subscribe(String qkdlId, long from) {
            DeviceLink l = current.get();
            if (l == null || !l.qkdlId().equals(qkdlId)) {
                end(Status.NOT_FOUND.withDescription("subscription.qkdl_id: no device link " + qkdlId + " here"));
                return;
            }
            String refused = l.subscribe(from);
            if (refused != null) {
                log.warn("link {}: key_ID subscription from node {} at index {} refused: {}", qkdlId, peerQkdnId, from,
                        refused);
                end((l.positioned() ? Status.OUT_OF_RANGE : Status.UNAVAILABLE)
                        .withDescription("subscription.from_index: " + refused));
                return;
            }
            synchronized (this) {
                if (ended) {
                    return;
                }
                link = l;
                next = from;
            }
            log.info("link {}: node {} takes key_IDs from index {}", qkdlId, peerQkdnId, from);
            replace(this);
        }

        synchronized void pump(DeviceLink attached) {
            if (ended || link == null) {
                return;
            }
            if (attached != link) {
                end(Status.ABORTED.withDescription("the link was detached from the device"));
                return;
            }
            while (out.isReady()) {
                List<UUID> ids;
                try {
                    ids = link.idsFrom(next, BATCH);
                } catch (java.util.NoSuchElementException e) {
                    end(Status.OUT_OF_RANGE.withDescription(e.getMessage()));
                    return;
                }
                if (ids.isEmpty()) {
                    return;
                }
                KeyIdBatch.Builder batch = KeyIdBatch.newBuilder();
                for (UUID id : ids) {
                    batch.addEntries(KeyIdEntry.newBuilder().setIndex(next++).setKeyId(id.toString()));
                }
                out.onNext(StreamKeyIdsResponse.newBuilder().setBatch(batch).build());
            }
        }

        synchronized void end(Status status) {
            if (ended) {
                return;
            }
            ended = true;
            remove(this);
            try {
                out.onError(status.asRuntimeException());
            } catch (IllegalStateException e) {
                // already closed by the peer
            }
        }

        @Override
        public void onError(Throwable t) {
            synchronized (this) {
                ended = true;
            }
            remove(this);
        }

        @Override
        public synchronized void onCompleted() {
            if (!ended) {
                ended = true;
                remove(this);
                out.onCompleted();
            }
        }
    }
}

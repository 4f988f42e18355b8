package org.qkdnf.kms.service;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.StatusRuntimeException;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.proto.keyservice.v1.AssignRequest;
import org.qkdnf.proto.keyservice.v1.DiscardRequest;
import org.qkdnf.proto.keyservice.v1.KeyAssignmentServiceGrpc;

/**
 * The source key manager's side of key assignment: tells a service's destination key manager
 * which relayed bytes make up each new key id, and returns once it has stored them. One channel
 * per destination, mutual TLS with the key manager's own certificate. Thread-safe.
 */
public final class KeyAssignmentClient implements AutoCloseable {

    static final long DEADLINE_MS = 5000;

    private final Function<String, Optional<String>> targetOf;
    private final ChannelCredentials credentials;
    private final Map<String, ManagedChannel> channels = new ConcurrentHashMap<>();

    /**
     * @param targetOf    the Kk address (host:port) of a node's key manager
     * @param credentials this key manager's mTLS credentials
     */
    public KeyAssignmentClient(Function<String, Optional<String>> targetOf, ChannelCredentials credentials) {
        this.targetOf = targetOf;
        this.credentials = credentials;
    }

    void assign(String destinationQkdnId, UUID serviceId, ServiceKeyStore.CarvedBatch carved)
            throws KeyDeliveryException {
        AssignRequest req = KeyBatchMessages.assignRequest(serviceId, carved.assignment());
        ManagedChannel ch = channel(destinationQkdnId);
        try {
            KeyAssignmentServiceGrpc.newBlockingStub(ch).withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS)
                    .assign(req);
        } catch (StatusRuntimeException e) {
            throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE, "the slave SAE's key manager (node "
                    + destinationQkdnId + ") did not take the key assignment: " + e.getStatus().getCode() + " "
                    + e.getStatus().getDescription());
        }
    }

    /**
     * Asks the destination to erase the keys of {@code keyIds} that wait there (see the Discard
     * RPC); returns how many it erased.
     */
    int discard(String destinationQkdnId, UUID serviceId, List<UUID> keyIds) throws KeyDeliveryException {
        DiscardRequest.Builder req = DiscardRequest.newBuilder().setServiceId(serviceId.toString());
        keyIds.forEach(id -> req.addKeyIds(id.toString()));
        try {
            return KeyAssignmentServiceGrpc.newBlockingStub(channel(destinationQkdnId))
                    .withDeadlineAfter(DEADLINE_MS, TimeUnit.MILLISECONDS).discard(req.build()).getDiscardedCount();
        } catch (StatusRuntimeException e) {
            throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE, "the slave SAE's key manager (node "
                    + destinationQkdnId + ") did not discard the keys: " + e.getStatus().getCode() + " "
                    + e.getStatus().getDescription());
        }
    }

    private ManagedChannel channel(String destinationQkdnId) throws KeyDeliveryException {
        String target = targetOf.apply(destinationQkdnId).orElseThrow(() -> new KeyDeliveryException(
                KeyDeliveryException.Reason.UNAVAILABLE, "no address for the key manager of node " + destinationQkdnId));
        return channels.computeIfAbsent(target, t -> Grpc.newChannelBuilder(t, credentials).build());
    }

    @Override
    public void close() {
        channels.values().forEach(ManagedChannel::shutdownNow);
    }
}

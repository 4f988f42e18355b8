package org.qkdnf.kms.service;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.kms.store.ServiceKeyStore.ServiceKeyException;
import org.qkdnf.proto.keyservice.v1.AssignRequest;
import org.qkdnf.proto.keyservice.v1.AssignResponse;
import org.qkdnf.proto.keyservice.v1.DiscardRequest;
import org.qkdnf.proto.keyservice.v1.DiscardResponse;
import org.qkdnf.proto.keyservice.v1.KeyAssignmentServiceGrpc;

/**
 * The destination key manager's side of key assignment. Only the key manager of the service's
 * source node may assign (its certificate: OU kms, CN that node's qkdn_id). A request is stored
 * all or nothing, with one sync: the source assigns its keys in batches ahead of demand (one
 * record per batch, see {@link ServiceKeyStore#assignBatch}); after a
 * restart it discards the keys of the batches it lost ({@link #discard}). Runs on
 * gRPC's executor; the store is thread-safe.
 */
public final class KeyAssignmentGrpcService extends KeyAssignmentServiceGrpc.KeyAssignmentServiceImplBase {

    private static final int MAX_ASSIGNMENTS = 1024;

    private final ServiceKeyStore keys;

    public KeyAssignmentGrpcService(ServiceKeyStore keys) {
        this.keys = keys;
    }

    @Override
    public void assign(AssignRequest request, StreamObserver<AssignResponse> response) {
        try {
            uuid(request.getServiceId(), "service_id");
            UUID serviceId = UUID.fromString(request.getServiceId());
            KeyServiceDefinition d = keys.service(serviceId).orElseThrow(() -> Status.NOT_FOUND
                    .withDescription("service_id: no key service " + serviceId + " here").asRuntimeException());
            PeerIdentity peer = PeerIdentity.current().orElseThrow(() -> Status.UNAUTHENTICATED.asRuntimeException());
            if (!peer.id().equals(d.sourceQkdnId())) {
                throw Status.PERMISSION_DENIED.withDescription("only the key manager of node " + d.sourceQkdnId()
                        + " assigns key of service " + serviceId + "; the certificate names " + peer.id())
                        .asRuntimeException();
            }
            if (request.getAssignmentsCount() > 0) {
                throw Status.INVALID_ARGUMENT.withDescription("assignments: per-key assignment is not taken here;"
                        + " send the keys as one batch").asRuntimeException();
            }
            if (!request.hasBatch()) {
                throw Status.INVALID_ARGUMENT.withDescription("batch: required").asRuntimeException();
            }
            // One durable commit for the whole batch, all or nothing; the store checks its shape
            // (count, key_bytes, first_key_id, segments), naming the field.
            keys.assignBatch(serviceId, KeyBatchMessages.assignedBatch(request.getBatch()));
            response.onNext(AssignResponse.newBuilder().setAssignedCount(request.getBatch().getCount()).build());
            response.onCompleted();
        } catch (io.grpc.StatusRuntimeException e) {
            response.onError(e);
        } catch (ServiceKeyException e) {
            response.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
        } catch (IllegalArgumentException e) {
            response.onError(Status.INVALID_ARGUMENT.withDescription("batch." + e.getMessage()).asRuntimeException());
        }
    }

    /**
     * Erases keys the source prepared and lost. A service unknown here (never installed, or removed
     * with no key left) has nothing to discard: answered with 0, since the caller retries until it
     * gets an answer and there is no one left to check it against.
     */
    @Override
    public void discard(DiscardRequest request, StreamObserver<DiscardResponse> response) {
        try {
            uuid(request.getServiceId(), "service_id");
            UUID serviceId = UUID.fromString(request.getServiceId());
            if (request.getKeyIdsCount() == 0 || request.getKeyIdsCount() > MAX_ASSIGNMENTS) {
                throw Status.INVALID_ARGUMENT.withDescription("key_ids: 1.." + MAX_ASSIGNMENTS + " required, got "
                        + request.getKeyIdsCount()).asRuntimeException();
            }
            List<UUID> ids = new ArrayList<>(request.getKeyIdsCount());
            for (int i = 0; i < request.getKeyIdsCount(); i++) {
                uuid(request.getKeyIds(i), "key_ids[" + i + "]");
                ids.add(UUID.fromString(request.getKeyIds(i)));
            }
            PeerIdentity peer = PeerIdentity.current().orElseThrow(() -> Status.UNAUTHENTICATED.asRuntimeException());
            KeyServiceDefinition d = keys.serviceOrRetired(serviceId).orElse(null);
            int discarded = 0;
            if (d != null) {
                if (!peer.id().equals(d.sourceQkdnId())) {
                    throw Status.PERMISSION_DENIED.withDescription("only the key manager of node " + d.sourceQkdnId()
                            + " discards key of service " + serviceId + "; the certificate names " + peer.id())
                            .asRuntimeException();
                }
                discarded = keys.discardAssigned(serviceId, ids);
            }
            response.onNext(DiscardResponse.newBuilder().setDiscardedCount(discarded).build());
            response.onCompleted();
        } catch (io.grpc.StatusRuntimeException e) {
            response.onError(e);
        } catch (ServiceKeyException e) {
            response.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
        } catch (KeyPoolException e) {
            response.onError(Status.UNAVAILABLE.withDescription("service key store: " + e.getMessage())
                    .asRuntimeException());
        }
    }

    private static Status status(ServiceKeyException e) {
        switch (e.reason()) {
            case UNKNOWN_SERVICE:
                return Status.NOT_FOUND;
            case INSUFFICIENT_KEY:
                return Status.UNAVAILABLE;
            case REPLAY:
                return Status.FAILED_PRECONDITION;
            case CONFLICT:
                return Status.ALREADY_EXISTS;
            case CORRUPT:
                return Status.DATA_LOSS;
            default:
                return Status.INTERNAL;
        }
    }

    private static void uuid(String v, String field) {
        if (!Uuids.isUuid(v)) {
            throw Status.INVALID_ARGUMENT.withDescription(field + ": must be a UUID, got '" + v + "'").asRuntimeException();
        }
    }
}

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
import org.qkdnf.proto.keyservice.v1.ChunkSegment;
import org.qkdnf.proto.keyservice.v1.DiscardRequest;
import org.qkdnf.proto.keyservice.v1.DiscardResponse;
import org.qkdnf.proto.keyservice.v1.KeyAssignment;
import org.qkdnf.proto.keyservice.v1.KeyAssignmentServiceGrpc;

/**
 * The destination key manager's side of key assignment. Only the key manager of the service's
 * source node may assign (its certificate: OU kms, CN that node's qkdn_id). A request is stored
 * all or nothing, with one sync: the source assigns its keys in batches ahead of demand; after a
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
            if (request.getAssignmentsCount() == 0 || request.getAssignmentsCount() > MAX_ASSIGNMENTS) {
                throw Status.INVALID_ARGUMENT.withDescription("assignments: 1.." + MAX_ASSIGNMENTS + " required, got "
                        + request.getAssignmentsCount()).asRuntimeException();
            }
            List<ServiceKeyStore.Assignment> batch = new ArrayList<>(request.getAssignmentsCount());
            for (int i = 0; i < request.getAssignmentsCount(); i++) {
                KeyAssignment a = request.getAssignments(i);
                if (!Uuids.isUuid(a.getKeyId())) {  // the field path only on failure: this loop runs per key
                    uuid(a.getKeyId(), "assignments[" + i + "].key_id");
                }
                if (a.getSegmentsCount() == 0) {
                    throw Status.INVALID_ARGUMENT.withDescription("assignments[" + i + "].segments: at least one")
                            .asRuntimeException();
                }
                List<ServiceKeyStore.Segment> segments = new ArrayList<>();
                for (int j = 0; j < a.getSegmentsCount(); j++) {
                    ChunkSegment s = a.getSegments(j);
                    if (s.getLengthBytes() == 0 || s.getSequence() == 0) {
                        throw Status.INVALID_ARGUMENT.withDescription("assignments[" + i + "].segments[" + j
                                + "]: sequence and length_bytes must be positive").asRuntimeException();
                    }
                    segments.add(new ServiceKeyStore.Segment(s.getSequence(), s.getOffsetBytes(), s.getLengthBytes()));
                }
                batch.add(new ServiceKeyStore.Assignment(UUID.fromString(a.getKeyId()), segments));
            }
            // One durable commit for the whole request, all or nothing.
            keys.assignAll(serviceId, batch);
            response.onNext(AssignResponse.newBuilder().setAssignedCount(request.getAssignmentsCount()).build());
            response.onCompleted();
        } catch (io.grpc.StatusRuntimeException e) {
            response.onError(e);
        } catch (ServiceKeyException e) {
            response.onError(status(e).withDescription(e.getMessage()).asRuntimeException());
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

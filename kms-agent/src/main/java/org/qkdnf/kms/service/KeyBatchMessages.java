package org.qkdnf.kms.service;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import io.grpc.Status;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.proto.keyservice.v1.AssignRequest;
import org.qkdnf.proto.keyservice.v1.ChunkSegment;
import org.qkdnf.proto.keyservice.v1.KeyBatch;

/**
 * A carved batch on the wire between the source's and the destination's key managers: how the
 * source writes {@link AssignRequest#getBatch()} and how the destination reads it back, in one place.
 * Stateless; any thread.
 */
public final class KeyBatchMessages {

    private KeyBatchMessages() {
    }

    /** The source's request for {@code batch} of service {@code serviceId}. */
    public static AssignRequest assignRequest(UUID serviceId, ServiceKeyStore.AssignedBatch batch) {
        KeyBatch.Builder b = KeyBatch.newBuilder().setFirstKeyId(batch.firstKeyId().toString())
                .setCount(batch.count()).setKeyBytes(batch.keyBytes());
        for (ServiceKeyStore.Segment s : batch.segments()) {
            b.addSegments(ChunkSegment.newBuilder().setSequence(s.sequence()).setOffsetBytes(s.offsetBytes())
                    .setLengthBytes(s.lengthBytes()));
        }
        return AssignRequest.newBuilder().setServiceId(serviceId.toString()).setBatch(b).build();
    }

    /**
     * The batch a request carries. Checks the wire-level fields (the first key id is a UUID, each
     * segment's sequence and length positive and offset not negative); the store checks the batch's
     * shape against what it holds.
     *
     * @throws io.grpc.StatusRuntimeException {@code INVALID_ARGUMENT} naming the field
     */
    public static ServiceKeyStore.AssignedBatch assignedBatch(KeyBatch b) {
        if (!Uuids.isUuid(b.getFirstKeyId())) {
            throw Status.INVALID_ARGUMENT.withDescription("batch.first_key_id: must be a UUID, got '"
                    + b.getFirstKeyId() + "'").asRuntimeException();
        }
        List<ServiceKeyStore.Segment> segments = new ArrayList<>(b.getSegmentsCount());
        for (int j = 0; j < b.getSegmentsCount(); j++) {
            ChunkSegment s = b.getSegments(j);
            if (s.getLengthBytes() <= 0 || s.getSequence() == 0 || s.getOffsetBytes() < 0) {
                throw Status.INVALID_ARGUMENT.withDescription("batch.segments[" + j
                        + "]: sequence and length_bytes must be positive, offset_bytes below 2^31")
                        .asRuntimeException();
            }
            segments.add(new ServiceKeyStore.Segment(s.getSequence(), s.getOffsetBytes(), s.getLengthBytes()));
        }
        return new ServiceKeyStore.AssignedBatch(UUID.fromString(b.getFirstKeyId()), b.getCount(), b.getKeyBytes(),
                segments);
    }
}

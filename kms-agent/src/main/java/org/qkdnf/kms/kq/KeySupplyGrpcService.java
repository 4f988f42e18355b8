package org.qkdnf.kms.kq;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.proto.keysupply.v1.BlockAck;
import org.qkdnf.proto.keysupply.v1.KeyBlock;
import org.qkdnf.proto.keysupply.v1.KeyBlockBatch;
import org.qkdnf.proto.keysupply.v1.KeySupplyServiceGrpc;
import org.qkdnf.proto.keysupply.v1.LinkPosition;
import org.qkdnf.proto.keysupply.v1.SupplyLink;
import org.qkdnf.proto.keysupply.v1.SupplyOpen;
import org.qkdnf.proto.keysupply.v1.SupplyRequest;
import org.qkdnf.proto.keysupply.v1.SupplyResponse;
import org.qkdnf.proto.keysupply.v1.SupplyResume;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kq at the key manager: the node's qkd-agent streams its links' key blocks in; each batch goes
 * into the link's two lanes (see {@link LinkLanes}) and is acknowledged once the store has made it
 * durable. Only the agent of this key manager's own node may supply key (its certificate: OU
 * {@code qkd-node}, CN this node's {@code qkdn_id}).
 *
 * <p>Threads: gRPC delivers a stream's messages one at a time; each stream's state is confined to
 * its {@link Supply} object. The pool store is thread-safe.
 */
public final class KeySupplyGrpcService extends KeySupplyServiceGrpc.KeySupplyServiceImplBase {

    static final String AGENT_ROLE = "qkd-node";
    private static final Logger log = LoggerFactory.getLogger(KeySupplyGrpcService.class);
    private static final int MAX_BLOCKS_PER_BATCH = 4096;

    private final KeyPoolStore pools;
    private final String localQkdnId;
    private final long laneMaxBits;

    /**
     * @param pools       the node's pool store
     * @param localQkdnId this key manager's node
     * @param laneMaxBits maximum of each lane (half of a link's pool), bits
     */
    public KeySupplyGrpcService(KeyPoolStore pools, String localQkdnId, long laneMaxBits) {
        this.pools = pools;
        this.localQkdnId = localQkdnId;
        this.laneMaxBits = laneMaxBits;
    }

    @Override
    public StreamObserver<SupplyRequest> supply(StreamObserver<SupplyResponse> responses) {
        PeerIdentity peer = PeerIdentity.current().orElse(null);
        if (peer == null || !AGENT_ROLE.equals(peer.role()) || !localQkdnId.equals(peer.id())) {
            responses.onError(Status.PERMISSION_DENIED.withDescription("only the qkd-agent of node " + localQkdnId
                    + " supplies key here; the certificate names " + (peer == null ? "nobody"
                    : peer.role() + " " + peer.id())).asRuntimeException());
            return new Ignore();
        }
        return new Supply(responses);
    }

    /** One agent stream. */
    private final class Supply implements StreamObserver<SupplyRequest> {
        private final StreamObserver<SupplyResponse> out;
        private final Map<String, SupplyLink> links = new HashMap<>();
        private boolean ended;

        Supply(StreamObserver<SupplyResponse> out) {
            this.out = out;
        }

        @Override
        public void onNext(SupplyRequest request) {
            if (ended) {
                return;
            }
            try {
                switch (request.getMessageCase()) {
                    case OPEN:
                        out.onNext(SupplyResponse.newBuilder().setResume(open(request.getOpen())).build());
                        break;
                    case BLOCKS:
                        out.onNext(SupplyResponse.newBuilder().setAck(blocks(request.getBlocks())).build());
                        break;
                    default:
                        throw invalid("message: not set");
                }
            } catch (StatusRuntimeException e) {
                end(e.getStatus());
            } catch (KeyPoolException e) {
                end(status(e));
            }
        }

        private SupplyResume open(SupplyOpen open) {
            if (!localQkdnId.equals(open.getQkdnId())) {
                throw Status.PERMISSION_DENIED.withDescription("open.qkdn_id: this key manager serves node "
                        + localQkdnId + ", not " + open.getQkdnId()).asRuntimeException();
            }
            SupplyResume.Builder resume = SupplyResume.newBuilder();
            for (int i = 0; i < open.getLinksCount(); i++) {
                SupplyLink l = open.getLinks(i);
                String f = "open.links[" + i + "]";
                uuid(l.getQkdlId(), f + ".qkdl_id");
                uuid(l.getTransmitterQkdnId(), f + ".transmitter_qkdn_id");
                uuid(l.getReceiverQkdnId(), f + ".receiver_qkdn_id");
                if (!localQkdnId.equals(l.getTransmitterQkdnId()) && !localQkdnId.equals(l.getReceiverQkdnId())) {
                    throw invalid(f + ": link " + l.getQkdlId() + " does not end at node " + localQkdnId);
                }
                if (l.getTransmitterQkdnId().equals(l.getReceiverQkdnId())) {
                    throw invalid(f + ".receiver_qkdn_id: equals transmitter_qkdn_id");
                }
                if (l.getBlockBits() == 0 || l.getBlockBits() % 8 != 0) {
                    throw invalid(f + ".block_bits: must be a positive multiple of 8, got " + l.getBlockBits());
                }
                definePool(LaneIds.of(l.getQkdlId(), l.getTransmitterQkdnId()));
                definePool(LaneIds.of(l.getQkdlId(), l.getReceiverQkdnId()));
                links.put(l.getQkdlId(), l);
                resume.addPositions(LinkPosition.newBuilder().setQkdlId(l.getQkdlId()).setNextBlockIndex(next(l)));
            }
            log.info("node {}: key supply opened for {} links", localQkdnId, open.getLinksCount());
            return resume.build();
        }

        private void definePool(String poolId) {
            if (!pools.pools().contains(poolId)) {
                pools.definePool(poolId, laneMaxBits);
            }
        }

        private BlockAck blocks(KeyBlockBatch batch) {
            SupplyLink l = links.get(batch.getQkdlId());
            if (l == null) {
                throw Status.FAILED_PRECONDITION.withDescription("blocks.qkdl_id: link " + batch.getQkdlId()
                        + " was not opened on this stream").asRuntimeException();
            }
            if (batch.getBlocksCount() == 0 || batch.getBlocksCount() > MAX_BLOCKS_PER_BATCH) {
                throw invalid("blocks.blocks: 1.." + MAX_BLOCKS_PER_BATCH + " blocks per batch, got "
                        + batch.getBlocksCount());
            }
            List<PoolBlock> even = new ArrayList<>();
            List<PoolBlock> odd = new ArrayList<>();
            long expected = batch.getBlocks(0).getIndex();
            for (int i = 0; i < batch.getBlocksCount(); i++) {
                KeyBlock b = batch.getBlocks(i);
                String f = "blocks.blocks[" + i + "]";
                uuid(b.getBlockId(), f + ".block_id");
                if (b.getIndex() != expected + i) {
                    throw invalid(f + ".index: blocks of a batch must be consecutive, expected " + (expected + i)
                            + ", got " + b.getIndex());
                }
                if (b.getKey().size() * 8L != l.getBlockBits()) {
                    throw invalid(f + ".key: must be block_bits " + l.getBlockBits() + " long, got "
                            + b.getKey().size() * 8L);
                }
                PoolBlock pb = new PoolBlock(UUID.fromString(b.getBlockId()), LinkLanes.laneIndex(b.getIndex()),
                        b.getKey().toByteArray());
                (b.getIndex() % 2 == 0 ? even : odd).add(pb);
            }
            long next = next(l);
            if (expected > next) {
                // An earlier batch of this stream was refused (full pool) and the agent sent on
                // before it heard: nothing of this one can be stored either; tell it where to resume.
                return BlockAck.newBuilder().setQkdlId(l.getQkdlId()).setNextBlockIndex(next).setPoolFull(true).build();
            }
            boolean full = false;
            try {
                if (!even.isEmpty()) {
                    pools.append(LaneIds.of(l.getQkdlId(), l.getTransmitterQkdnId()), even);
                }
                if (!odd.isEmpty()) {
                    pools.append(LaneIds.of(l.getQkdlId(), l.getReceiverQkdnId()), odd);
                }
            } catch (KeyPoolException e) {
                if (e.reason() != KeyPoolException.Reason.POOL_FULL) {
                    throw e;
                }
                full = true;
            }
            return BlockAck.newBuilder().setQkdlId(l.getQkdlId()).setNextBlockIndex(next(l)).setPoolFull(full).build();
        }

        private long next(SupplyLink l) {
            PoolLevels even = pools.levels(LaneIds.of(l.getQkdlId(), l.getTransmitterQkdnId()));
            PoolLevels odd = pools.levels(LaneIds.of(l.getQkdlId(), l.getReceiverQkdnId()));
            return LinkLanes.linkNextIndex(even.nextBlockIndex(), odd.nextBlockIndex());
        }

        private void end(Status status) {
            ended = true;
            log.warn("node {}: key supply stream closed: {} {}", localQkdnId, status.getCode(), status.getDescription());
            out.onError(status.asRuntimeException());
        }

        @Override
        public void onError(Throwable t) {
            ended = true;
            log.debug("node {}: key supply stream failed: {}", localQkdnId, Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            if (!ended) {
                ended = true;
                out.onCompleted();
            }
        }
    }

    private static Status status(KeyPoolException e) {
        switch (e.reason()) {
            case OUT_OF_ORDER:
            case BLOCK_CONFLICT:
                return Status.FAILED_PRECONDITION.withDescription("blocks: " + e.getMessage());
            case STORAGE_FAILURE:
            case CLOSED:
                return Status.UNAVAILABLE.withDescription("key store: " + e.getMessage());
            case CORRUPT:
                return Status.DATA_LOSS.withDescription("key store: " + e.getMessage());
            default:
                return Status.INTERNAL.withDescription("key store: " + e.reason());
        }
    }

    private static void uuid(String v, String field) {
        if (!Uuids.isUuid(v)) {
            throw invalid(field + ": must be a UUID, got '" + v + "'");
        }
    }

    private static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    /** A refused stream: whatever arrives is dropped. */
    private static final class Ignore implements StreamObserver<SupplyRequest> {
        @Override
        public void onNext(SupplyRequest value) {
        }

        @Override
        public void onError(Throwable t) {
        }

        @Override
        public void onCompleted() {
        }
    }
}

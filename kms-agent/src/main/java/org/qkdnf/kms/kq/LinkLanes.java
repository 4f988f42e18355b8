package org.qkdnf.kms.kq;

/**
 * How a link's key stream is split between its two ends, so that neither end ever reserves key
 * the other end might reserve too, without a round trip to agree: the link's blocks alternate
 * between two lanes, even-indexed blocks in the lane owned by the transmitter end's node,
 * odd-indexed ones in the lane owned by the receiver end's node. Each end keeps both lanes (they
 * are identical at both ends); only a lane's owner reserves from it and names the ranges it used,
 * the other end consumes exactly those ranges.
 *
 * <p>A lane is a pool of the pool store with id {@code <qkdl_id>/<owner qkdn_id>}
 * ({@link org.qkdnf.common.ids.LaneIds#of}, the id the controller admits rate on) whose blocks are
 * numbered without gaps: link block {@code i} is block {@code i / 2} of its lane.
 */
public final class LinkLanes {

    private LinkLanes() {
    }

    /** The owner of link block {@code blockIndex}'s lane. */
    static String owner(long blockIndex, String transmitterQkdnId, String receiverQkdnId) {
        return blockIndex % 2 == 0 ? transmitterQkdnId : receiverQkdnId;
    }

    /** Index of link block {@code blockIndex} within its lane. */
    static long laneIndex(long blockIndex) {
        return blockIndex / 2;
    }

    /**
     * The first link block not held by both lanes, from each lane's next block index. Lanes are
     * appended one after the other, so after a crash one may be ahead; the link resumes at the
     * first block missing from either (the blocks offered again are recognised as duplicates).
     */
    static long linkNextIndex(long evenLaneNext, long oddLaneNext) {
        return Math.min(2 * evenLaneNext, 2 * oddLaneNext + 1);
    }
}

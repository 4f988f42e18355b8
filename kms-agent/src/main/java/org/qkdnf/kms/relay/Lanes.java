package org.qkdnf.kms.relay;

/**
 * The lane rule. Each end of a link holds two pools per link, one per owner node, named
 * {@code "<qkdl_id>/<owner qkdn_id>"}. Only the owner reserves from its lane and names the ranges
 * in its messages; the other end consumes exactly those ranges from its copy of the same lane. So
 * the two ends of a link never reserve the same bits, without any coordination.
 */
public final class Lanes {

    private Lanes() {
    }

    /** The pool id of {@code owner}'s lane of link {@code qkdlId}. */
    public static String laneId(String qkdlId, String ownerQkdnId) {
        return qkdlId + "/" + ownerQkdnId;
    }
}

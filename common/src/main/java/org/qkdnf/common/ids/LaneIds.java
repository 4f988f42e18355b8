package org.qkdnf.common.ids;

/**
 * The lane rule's names, shared by the key managers and the controller. A link's key is split into
 * two lanes, one per end node; a lane's owner alone reserves from it, so the owner's lane carries
 * all key relayed from the owner across the link: a lane is one direction of a link. Its id is
 * {@code "<qkdl_id>/<owner qkdn_id>"}, the key managers' pool id, which the controller also uses
 * to admit rate per direction. A qkdn_id is a UUID ({@link Uuids}), so the last {@code '/'}
 * separates the two parts whatever the link id holds.
 */
public final class LaneIds {

    private LaneIds() {
    }

    /** The lane of link {@code qkdlId} owned by node {@code ownerQkdnId}: key relayed from that node over the link. */
    public static String of(String qkdlId, String ownerQkdnId) {
        return qkdlId + "/" + ownerQkdnId;
    }

    /** How an operator reads a lane id: the link and the direction ("lane x" when x is not a lane id). */
    public static String describe(String laneId) {
        int slash = laneId.lastIndexOf('/');
        if (slash <= 0 || slash == laneId.length() - 1) {
            return "lane " + laneId;
        }
        return "link " + laneId.substring(0, slash) + " from node " + laneId.substring(slash + 1);
    }
}

package org.qkdnf.controller.api;

import java.util.Optional;

import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.QkdNode;

/**
 * Writes to the topology. Called by the Sq server on behalf of an authenticated agent (the
 * {@code reporterQkdnId} arguments are the node the agent speaks for) and by operators' tools.
 * Every method validates its input and throws {@link QkdTopologyException} whose
 * {@link QkdTopologyException.Reason} maps onto a gRPC status. Thread-safe.
 */
public interface QkdTopologyAdminService extends QkdTopologyService {

    /**
     * Replaces what the controller holds for {@code node.getQkdnId()} with this full inventory
     * (node, interfaces, links) and marks the node's agent connected. Links the node no longer
     * reports lose that node's end; a link with no end left is removed.
     *
     * @return the node as stored
     * @throws QkdTopologyException INVALID_ARGUMENT for a malformed node, CONFLICT when a link's
     *         ends contradict the other end's report
     */
    QkdNodeInfo applyInventory(QkdNode node);

    /**
     * Applies one link performance report from {@code reporterQkdnId}'s end of the link. Posts a
     * {@code LINK_PERFORMANCE} event, and {@code LINK_STATUS_CHANGED} when the merged status or the
     * degraded flag changed. Kept in memory only (not a durable write).
     *
     * @throws QkdTopologyException NOT_FOUND for an unknown link, PERMISSION_DENIED when the
     *         reporter is not an end of the link
     */
    QkdLinkInfo applyPerformance(String reporterQkdnId, LinkPerformance performance);

    /**
     * Records that {@code reporterQkdnId}'s end of the link went down (sdqkdn_link_down): that
     * end's status becomes OFF, so the link's merged status becomes OFF.
     */
    QkdLinkInfo linkDown(String reporterQkdnId, String qkdlId);

    /** Marks the node's agent connected (true) or disconnected (false); empty if the node is unknown. */
    Optional<QkdNodeInfo> setAgentConnected(String qkdnId, boolean connected);

    /** Removes a node and its ends of links; links left with no end are removed. */
    Optional<QkdNodeInfo> removeNode(String qkdnId);

    /**
     * Changes the settings. They are persisted by the store (survive a restart where the store is
     * durable); a new QBER threshold re-evaluates the degraded flag of every link.
     */
    void updateSettings(ControllerSettings settings);
}

package org.qkdnf.controller.api;

import java.time.Instant;
import java.util.Objects;

import org.qkdnf.proto.southbound.v1.QkdNode;

/**
 * Immutable snapshot of one QKD node: the last inventory its agent sent (ETSI GS QKD 015
 * {@code qkd_node}, with interfaces and the node's view of its links), whether its agent is
 * connected now, and when the controller last heard about it (inventory, connect or disconnect;
 * not refreshed by each performance report, to keep the hot path free of node writes).
 */
public final class QkdNodeInfo {

    private final String qkdnId;
    private final QkdNode node;
    private final boolean agentConnected;
    private final Instant lastSeen;

    public QkdNodeInfo(QkdNode node, boolean agentConnected, Instant lastSeen) {
        this.node = Objects.requireNonNull(node, "node");
        this.qkdnId = node.getQkdnId();
        this.agentConnected = agentConnected;
        this.lastSeen = Objects.requireNonNull(lastSeen, "lastSeen");
    }

    public String qkdnId() {
        return qkdnId;
    }

    /** The node as its agent last reported it. */
    public QkdNode node() {
        return node;
    }

    public boolean agentConnected() {
        return agentConnected;
    }

    public Instant lastSeen() {
        return lastSeen;
    }

    public QkdNodeInfo withAgentConnected(boolean connected, Instant now) {
        return new QkdNodeInfo(node, connected, now);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QkdNodeInfo)) {
            return false;
        }
        QkdNodeInfo that = (QkdNodeInfo) o;
        return agentConnected == that.agentConnected && node.equals(that.node)
                && lastSeen.equals(that.lastSeen);
    }

    @Override
    public int hashCode() {
        return Objects.hash(node, agentConnected, lastSeen);
    }

    @Override
    public String toString() {
        return "QkdNodeInfo{" + qkdnId + " '" + node.getQkdnName() + "' " + node.getQkdnStatus()
                + (agentConnected ? " connected" : " disconnected") + " lastSeen=" + lastSeen + "}";
    }
}

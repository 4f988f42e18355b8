package org.qkdnf.controller.api;

import java.util.Objects;
import java.util.Optional;

/** A change of the topology. Immutable. */
public final class QkdTopologyEvent {

    /** What changed. */
    public enum Type {
        /** A node appeared (first inventory). */
        NODE_ADDED,
        /** A node's inventory changed. */
        NODE_UPDATED,
        /** A node was removed by an operator. */
        NODE_REMOVED,
        /** A node's agent connected (stream open, inventory received). */
        NODE_CONNECTED,
        /** A node's agent stream ended. */
        NODE_DISCONNECTED,
        /** A link appeared (first end reported it). */
        LINK_ADDED,
        /** A link's structure changed (an end's report added, changed or removed). */
        LINK_UPDATED,
        /** No end reports the link any more. */
        LINK_REMOVED,
        /** The merged 015 status or the degraded flag changed. */
        LINK_STATUS_CHANGED,
        /** A performance report was accepted (one per update; the hot path). */
        LINK_PERFORMANCE
    }

    private final Type type;
    private final String subjectId;
    private final QkdNodeInfo node;
    private final QkdLinkInfo link;
    private final QkdLinkInfo previousLink;
    private final long time;

    private QkdTopologyEvent(Type type, String subjectId, QkdNodeInfo node, QkdLinkInfo link,
                             QkdLinkInfo previousLink) {
        this.type = Objects.requireNonNull(type, "type");
        this.subjectId = Objects.requireNonNull(subjectId, "subjectId");
        this.node = node;
        this.link = link;
        this.previousLink = previousLink;
        this.time = System.currentTimeMillis();
    }

    /** A node event; {@code node} is the node after the change (before it, for NODE_REMOVED). */
    public static QkdTopologyEvent ofNode(Type type, QkdNodeInfo node) {
        return new QkdTopologyEvent(type, node.qkdnId(), node, null, null);
    }

    /**
     * A link event; {@code link} is the link after the change (before it, for LINK_REMOVED),
     * {@code previous} the link before it (null for LINK_ADDED/LINK_REMOVED).
     */
    public static QkdTopologyEvent ofLink(Type type, QkdLinkInfo link, QkdLinkInfo previous) {
        return new QkdTopologyEvent(type, link.qkdlId(), null, link, previous);
    }

    public Type type() {
        return type;
    }

    /** The qkdn_id or qkdl_id the event is about. */
    public String subjectId() {
        return subjectId;
    }

    /** The node, for NODE_* events. */
    public Optional<QkdNodeInfo> node() {
        return Optional.ofNullable(node);
    }

    /** The link, for LINK_* events. */
    public Optional<QkdLinkInfo> link() {
        return Optional.ofNullable(link);
    }

    /** The link before the change, for LINK_UPDATED, LINK_STATUS_CHANGED and LINK_PERFORMANCE. */
    public Optional<QkdLinkInfo> previousLink() {
        return Optional.ofNullable(previousLink);
    }

    /** When the event was created, epoch ms. */
    public long time() {
        return time;
    }

    @Override
    public String toString() {
        return "QkdTopologyEvent{" + type + " " + subjectId + "}";
    }
}

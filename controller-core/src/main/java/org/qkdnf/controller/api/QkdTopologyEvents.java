package org.qkdnf.controller.api;

import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Derives the events of a change from the value before and after it. Shared by every store
 * implementation (in memory, MVStore, ONOS ConsistentMap listeners) so that they all emit the same
 * events for the same change.
 */
public final class QkdTopologyEvents {

    private QkdTopologyEvents() {
    }

    /** Events for a node going from {@code before} to {@code after} (either may be null). */
    public static List<QkdTopologyEvent> nodeChange(QkdNodeInfo before, QkdNodeInfo after) {
        List<QkdTopologyEvent> events = new ArrayList<>(2);
        if (before == null && after == null) {
            return events;
        }
        if (after == null) {
            events.add(QkdTopologyEvent.ofNode(QkdTopologyEvent.Type.NODE_REMOVED, before));
            return events;
        }
        if (before == null) {
            events.add(QkdTopologyEvent.ofNode(QkdTopologyEvent.Type.NODE_ADDED, after));
        } else if (!before.node().equals(after.node())) {
            events.add(QkdTopologyEvent.ofNode(QkdTopologyEvent.Type.NODE_UPDATED, after));
        }
        boolean wasConnected = before != null && before.agentConnected();
        if (wasConnected != after.agentConnected() && (before != null || after.agentConnected())) {
            events.add(QkdTopologyEvent.ofNode(after.agentConnected()
                    ? QkdTopologyEvent.Type.NODE_CONNECTED : QkdTopologyEvent.Type.NODE_DISCONNECTED, after));
        }
        return events;
    }

    /**
     * Events for a link going from {@code before} to {@code after} (either may be null).
     *
     * @param performance true when the change is an accepted performance report (adds LINK_PERFORMANCE)
     */
    public static List<QkdTopologyEvent> linkChange(QkdLinkInfo before, QkdLinkInfo after, boolean performance) {
        List<QkdTopologyEvent> events = new ArrayList<>(2);
        if (before == null && after == null) {
            return events;
        }
        if (after == null) {
            events.add(QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_REMOVED, before, null));
            return events;
        }
        if (before == null) {
            events.add(QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_ADDED, after, null));
            return events;
        }
        if (!Objects.equals(before.reportA(), after.reportA()) || !Objects.equals(before.reportB(), after.reportB())) {
            events.add(QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_UPDATED, after, before));
        }
        if (before.status() != after.status() || before.degraded() != after.degraded()) {
            events.add(QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_STATUS_CHANGED, after, before));
        }
        if (performance) {
            events.add(QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_PERFORMANCE, after, before));
        }
        return events;
    }
}

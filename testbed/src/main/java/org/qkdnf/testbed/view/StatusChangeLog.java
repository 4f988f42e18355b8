package org.qkdnf.testbed.view;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;

import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;

/**
 * Remembers the latest link status changes the controller announced (merged 015 status or the
 * degraded flag), and whatever else is {@link #add added} (key services moving), so the live view
 * can show when a cut or a degradation happened and what it did. The callback
 * only appends to a bounded list under a lock, as a topology listener must return at once.
 */
public final class StatusChangeLog implements QkdTopologyListener {

    /** One change: when, which link, from what to what. */
    public record Change(Instant at, String providerId, String link, String from, String to) {
        @Override
        public String toString() {
            return link + ": " + from + " -> " + to;
        }
    }

    private final String providerId;
    private final Map<String, String> linkNames;
    private final int capacity;
    private final Deque<Change> changes = new ArrayDeque<>();
    private final List<Change> unread = new ArrayList<>();

    /**
     * @param linkNames qkdl_id to the scenario's link name
     * @param capacity  how many recent changes to keep
     */
    public StatusChangeLog(String providerId, Map<String, String> linkNames, int capacity) {
        this.providerId = Objects.requireNonNull(providerId);
        this.linkNames = Map.copyOf(linkNames);
        this.capacity = capacity;
    }

    @Override
    public void event(QkdTopologyEvent event) {
        if (event.type() != QkdTopologyEvent.Type.LINK_STATUS_CHANGED || event.link().isEmpty()) {
            return;
        }
        QkdLinkInfo now = event.link().get();
        String from = event.previousLink().map(StatusChangeLog::label).orElse("NEW");
        add(new Change(Instant.ofEpochMilli(event.time()), providerId,
                linkNames.getOrDefault(now.qkdlId(), now.qkdlId()), from, label(now)));
    }

    /** Records a change of something else the live view follows (a key service moving, for one). */
    public void add(Change c) {
        synchronized (this) {
            changes.addLast(c);
            if (changes.size() > capacity) {
                changes.removeFirst();
            }
            unread.add(c);
        }
    }

    /** The latest changes, oldest first. */
    public synchronized List<Change> recent() {
        return List.copyOf(changes);
    }

    /** Changes since the previous call (the plain view prints each once). */
    public synchronized List<Change> drainUnread() {
        List<Change> out = List.copyOf(unread);
        unread.clear();
        return out;
    }

    private static String label(QkdLinkInfo l) {
        String s = l.status().name().replace("QKDL_STATUS_", "");
        return l.degraded() ? s + " (degraded)" : s;
    }
}

package org.qkdnf.controller.keyservice;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.TopologyLink;
import org.qkdnf.proto.northbound.v1.TopologyNode;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Nc topology watchers: a snapshot, then the changes an operator acts on. Performance reports
 * arrive thousands of times a second, so a link is re-sent only when its presence, ends, status or
 * degraded flag changed, or its admissible rate moved by more than {@value #ADMISSIBLE_STEP} of the
 * last value sent (a measured SKR jitters; a drop that matters for routing is bigger than that).
 *
 * <p>Threads: owner thread of the key-service manager only (it sends from there, in event order);
 * the watcher list is copy-on-write so that a watcher can be removed from its cancel handler.
 */
final class TopologyWatchers {

    private static final Logger log = LoggerFactory.getLogger(TopologyWatchers.class);
    static final double ADMISSIBLE_STEP = 0.1;

    private final List<Consumer<WatchTopologyResponse>> watchers = new CopyOnWriteArrayList<>();
    /** What was last sent per link (owner thread). */
    private final Map<String, TopologyLink> sent = new HashMap<>();

    /** Sends {@code snapshot} to {@code watcher} and registers it. */
    void add(Consumer<WatchTopologyResponse> watcher, GetTopologyResponse snapshot) {
        if (watchers.isEmpty()) {
            sent.clear();
            snapshot.getLinksList().forEach(l -> sent.put(l.getQkdlId(), l));
        }
        watcher.accept(WatchTopologyResponse.newBuilder().setSnapshot(snapshot).build());
        watchers.add(watcher);
    }

    void remove(Consumer<WatchTopologyResponse> watcher) {
        watchers.remove(watcher);
    }

    void node(TopologyNode node, boolean removed) {
        send(WatchTopologyResponse.newBuilder().setNode(node).setRemoved(removed).build());
    }

    void link(TopologyLink link, boolean removed) {
        if (watchers.isEmpty()) {
            return;
        }
        TopologyLink last = removed ? sent.remove(link.getQkdlId()) : sent.get(link.getQkdlId());
        if (!removed && last != null && !changed(last, link)) {
            return;
        }
        if (!removed) {
            sent.put(link.getQkdlId(), link);
        }
        send(WatchTopologyResponse.newBuilder().setLink(link).setRemoved(removed).build());
    }

    private static boolean changed(TopologyLink last, TopologyLink now) {
        if (last.getStatus() != now.getStatus() || last.getDegraded() != now.getDegraded()
                || !last.getQkdnIdA().equals(now.getQkdnIdA()) || !last.getQkdnIdB().equals(now.getQkdnIdB())) {
            return true;
        }
        long a = last.getAdmissibleBps();
        long b = now.getAdmissibleBps();
        return Math.abs(b - a) > ADMISSIBLE_STEP * Math.max(a, 1) || (a == 0) != (b == 0);
    }

    private void send(WatchTopologyResponse r) {
        for (Consumer<WatchTopologyResponse> w : watchers) {
            try {
                w.accept(r);
            } catch (RuntimeException e) {
                log.warn("topology watcher failed; dropped", e);
                watchers.remove(w);
            }
        }
    }
}

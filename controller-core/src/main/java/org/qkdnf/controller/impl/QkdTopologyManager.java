package org.qkdnf.controller.impl;

import java.time.Clock;
import java.time.Instant;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyException;
import org.qkdnf.controller.api.QkdTopologyException.Reason;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.api.QkdTopologyStoreDelegate;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topology manager: validates writes, merges both ends' reports of a link into one
 * {@link QkdLinkInfo}, applies the 015 status rules and the degraded threshold, and relays the
 * store's events to listeners.
 *
 * <p>Threads: every method may be called from any thread (many Sq streams at once). The manager
 * holds no lock of its own: per-key atomicity is the store's. Listeners are called on one
 * event-dispatch thread, in the order the store produced the events; a listener that is slow
 * delays the others, hence the rule that callbacks return at once. {@code settings} is a volatile
 * immutable snapshot.
 */
public final class QkdTopologyManager implements QkdTopologyAdminService, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(QkdTopologyManager.class);
    /** A listener slower than this is reported (ONOS ejects listeners slower than 1.8 s). */
    private static final long SLOW_LISTENER_NANOS = TimeUnit.MILLISECONDS.toNanos(500);

    private final QkdTopologyStore store;
    private final Clock clock;
    private final ExecutorService eventExecutor;
    /** Events waiting for the dispatch thread, in the order the store produced them. */
    private final java.util.concurrent.ConcurrentLinkedQueue<QkdTopologyEvent> pending =
            new java.util.concurrent.ConcurrentLinkedQueue<>();
    /** Whether a drain is scheduled or running on the dispatch thread. */
    private final java.util.concurrent.atomic.AtomicBoolean draining = new java.util.concurrent.atomic.AtomicBoolean();
    private final CopyOnWriteArrayList<QkdTopologyListener> listeners = new CopyOnWriteArrayList<>();
    private final QkdTopologyStoreDelegate delegate = this::post;
    private volatile ControllerSettings settings;

    /**
     * @param store where the topology lives; its persisted settings (if any) take effect, otherwise
     *        the defaults
     */
    public QkdTopologyManager(QkdTopologyStore store) {
        this(store, Clock.systemUTC());
    }

    public QkdTopologyManager(QkdTopologyStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.settings = store.getSettings().orElse(ControllerSettings.defaults());
        this.eventExecutor = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qkd-topology-events");
            t.setDaemon(true);
            return t;
        });
        store.setDelegate(delegate);
    }

    /** Stops event delivery (events still queued are delivered, for at most 5 s). */
    @Override
    public void close() {
        store.unsetDelegate(delegate);
        eventExecutor.shutdown();
        try {
            if (!eventExecutor.awaitTermination(5, TimeUnit.SECONDS)) {
                eventExecutor.shutdownNow();
            }
        } catch (InterruptedException e) {
            eventExecutor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    // ------------------------------------------------------------------------------------------
    // Reads

    @Override
    public Collection<QkdNodeInfo> getNodes() {
        return store.getNodes();
    }

    @Override
    public Optional<QkdNodeInfo> getNode(String qkdnId) {
        return qkdnId == null ? Optional.empty() : store.getNode(qkdnId);
    }

    @Override
    public Collection<QkdLinkInfo> getLinks() {
        return store.getLinks();
    }

    @Override
    public Optional<QkdLinkInfo> getLink(String qkdlId) {
        return qkdlId == null ? Optional.empty() : store.getLink(qkdlId);
    }

    @Override
    public ControllerSettings settings() {
        return settings;
    }

    @Override
    public void addListener(QkdTopologyListener listener) {
        listeners.addIfAbsent(Objects.requireNonNull(listener, "listener"));
    }

    @Override
    public void removeListener(QkdTopologyListener listener) {
        listeners.remove(listener);
    }

    // ------------------------------------------------------------------------------------------
    // Writes

    @Override
    public QkdNodeInfo applyInventory(QkdNode inventoryNode) {
        Objects.requireNonNull(inventoryNode, "node");
        // Performance inside an inventory is applied as a performance report (below) and removed
        // from what is stored, so that a re-sent unchanged inventory (every reconnect) compares
        // equal and costs no event and no durable write.
        QkdNode node = withoutPerformance(inventoryNode);
        String qkdnId = node.getQkdnId();
        requireUuid(qkdnId, "qkd_node.qkdn_id");
        Set<String> reported = new HashSet<>();
        List<QkdLink> links = node.getQkdLinksList();
        for (int i = 0; i < links.size(); i++) {
            QkdLink l = links.get(i);
            String field = "qkd_node.qkd_links[" + i + "]";
            requireUuid(l.getQkdlId(), field + ".qkdl_id");
            if (!reported.add(l.getQkdlId())) {
                throw invalid(field + ".qkdl_id: duplicate " + l.getQkdlId());
            }
            if (!qkdnId.equals(l.getQkdlLocal().getQkdnId())) {
                throw new QkdTopologyException(Reason.PERMISSION_DENIED, field
                        + ".qkdl_local.qkdn_id: a node may only report its own end of a link");
            }
            requireUuid(l.getQkdlRemote().getQkdnId(), field + ".qkdl_remote.qkdn_id");
            if (qkdnId.equals(l.getQkdlRemote().getQkdnId())) {
                throw invalid(field + ".qkdl_remote.qkdn_id: a link joins two different nodes");
            }
            if (l.getQkdlStatus() == QkdlStatus.QKDL_STATUS_UNSPECIFIED || l.getQkdlStatus() == QkdlStatus.UNRECOGNIZED) {
                throw invalid(field + ".qkdl_status: must be ACTIVE, PASSIVE, PENDING or OFF");
            }
            // Checked before anything is written so that a conflicting inventory changes nothing
            // (re-checked inside each link's atomic update, which is what makes it safe).
            store.getLink(l.getQkdlId()).ifPresent(existing -> checkConsistent(existing, l, field));
        }
        // One durable sync for the whole inventory (node and all its links), not one per entry.
        QkdNodeInfo stored = store.batch(() -> storeInventory(qkdnId, node, links, reported));
        // A link's performance carried inside the inventory counts as a report from this end.
        for (QkdLink l : inventoryNode.getQkdLinksList()) {
            if (l.hasPerformance() && l.getPerformance().hasMeasuredAt()) {
                LinkPerformance p = l.getPerformance();
                if (p.getQkdlId().isEmpty()) {
                    p = p.toBuilder().setQkdlId(l.getQkdlId()).build();
                }
                if (p.getQkdlStatus() != QkdlStatus.QKDL_STATUS_UNSPECIFIED) {
                    applyPerformance(qkdnId, p);
                }
            }
        }
        return stored;
    }

    private QkdNodeInfo storeInventory(String qkdnId, QkdNode node, List<QkdLink> links, Set<String> reported) {
        Instant now = clock.instant();
        Optional<QkdNodeInfo> previous = store.getNode(qkdnId);
        QkdNodeInfo stored = store.updateNode(qkdnId, current -> new QkdNodeInfo(node, true, now));
        double threshold = settings.qberDegradedThreshold();
        for (int i = 0; i < links.size(); i++) {
            QkdLink l = links.get(i);
            String field = "qkd_node.qkd_links[" + i + "]";
            store.updateLink(l.getQkdlId(), current -> {
                if (current == null) {
                    return QkdLinkInfo.fromReport(l).withQberThreshold(threshold);
                }
                checkConsistent(current, l, field);
                return current.withReport(l, threshold);
            });
        }
        if (previous.isPresent()) {
            for (QkdLink old : previous.get().node().getQkdLinksList()) {
                if (!reported.contains(old.getQkdlId())) {
                    store.updateLink(old.getQkdlId(),
                            current -> current == null ? null : current.withoutReport(qkdnId, threshold));
                }
            }
        }
        return stored;
    }

    @Override
    public QkdLinkInfo applyPerformance(String reporterQkdnId, LinkPerformance performance) {
        Objects.requireNonNull(performance, "performance");
        String qkdlId = performance.getQkdlId();
        double threshold = settings.qberDegradedThreshold();
        QkdLinkInfo updated = store.updateLinkPerformance(qkdlId, current -> {
            if (!current.hasEnd(reporterQkdnId)) {
                throw new QkdTopologyException(Reason.PERMISSION_DENIED,
                        "qkdl_id: link " + qkdlId + " does not end at node " + reporterQkdnId);
            }
            return current.withPerformance(reporterQkdnId, performance, threshold);
        });
        if (updated == null) {
            throw new QkdTopologyException(Reason.NOT_FOUND, "qkdl_id: unknown link " + qkdlId);
        }
        return updated;
    }

    @Override
    public QkdLinkInfo linkDown(String reporterQkdnId, String qkdlId) {
        double threshold = settings.qberDegradedThreshold();
        return store.updateLink(qkdlId, current -> {
            if (current == null) {
                throw new QkdTopologyException(Reason.NOT_FOUND, "qkdl_id: unknown link " + qkdlId);
            }
            if (!current.hasEnd(reporterQkdnId)) {
                throw new QkdTopologyException(Reason.PERMISSION_DENIED,
                        "qkdl_id: link " + qkdlId + " does not end at node " + reporterQkdnId);
            }
            if (current.reportOf(reporterQkdnId).isEmpty()) {
                return current; // this end never reported the link: nothing of its to turn off
            }
            return current.withEndStatus(reporterQkdnId, QkdlStatus.QKDL_STATUS_OFF, threshold);
        });
    }

    @Override
    public Optional<QkdNodeInfo> setAgentConnected(String qkdnId, boolean connected) {
        Instant now = clock.instant();
        return Optional.ofNullable(store.updateNode(qkdnId,
                current -> current == null ? null : current.withAgentConnected(connected, now)));
    }

    @Override
    public Optional<QkdNodeInfo> removeNode(String qkdnId) {
        Optional<QkdNodeInfo> existing = store.getNode(qkdnId);
        if (existing.isEmpty()) {
            return existing;
        }
        double threshold = settings.qberDegradedThreshold();
        store.batch(() -> {
            for (QkdLinkInfo l : store.getLinks()) {
                if (l.reportOf(qkdnId).isPresent()) {
                    store.updateLink(l.qkdlId(), current -> current == null ? null : current.withoutReport(qkdnId, threshold));
                }
            }
            return store.updateNode(qkdnId, current -> null);
        });
        log.info("removed node {}", qkdnId);
        return existing;
    }

    @Override
    public void updateSettings(ControllerSettings newSettings) {
        Objects.requireNonNull(newSettings, "settings");
        ControllerSettings old = settings;
        store.putSettings(newSettings);
        settings = newSettings;
        log.info("controller settings now {}", newSettings);
        if (Double.compare(old.qberDegradedThreshold(), newSettings.qberDegradedThreshold()) != 0) {
            double t = newSettings.qberDegradedThreshold();
            for (QkdLinkInfo l : store.getLinks()) {
                store.updateLink(l.qkdlId(), current -> current == null ? null : current.withQberThreshold(t));
            }
        }
    }

    // ------------------------------------------------------------------------------------------

    private static QkdNode withoutPerformance(QkdNode node) {
        boolean any = false;
        for (QkdLink l : node.getQkdLinksList()) {
            any |= l.hasPerformance();
        }
        if (!any) {
            return node;
        }
        QkdNode.Builder b = node.toBuilder();
        for (int i = 0; i < b.getQkdLinksCount(); i++) {
            if (b.getQkdLinks(i).hasPerformance()) {
                b.setQkdLinks(i, b.getQkdLinks(i).toBuilder().clearPerformance());
            }
        }
        return b.build();
    }

    /** Both ends must describe the same pair of nodes, the same type and matching interfaces. */
    private static void checkConsistent(QkdLinkInfo existing, QkdLink report, String field) {
        String local = report.getQkdlLocal().getQkdnId();
        String remote = report.getQkdlRemote().getQkdnId();
        if (!existing.hasEnd(local) || !existing.hasEnd(remote)) {
            throw new QkdTopologyException(Reason.CONFLICT, field + ".qkdl_id: link " + report.getQkdlId()
                    + " is already known between " + existing.nodeIdA() + " and " + existing.nodeIdB());
        }
        Optional<QkdLink> other = existing.reportOf(remote);
        if (other.isPresent()) {
            QkdLink o = other.get();
            if (o.getQkdlType() != report.getQkdlType()) {
                throw new QkdTopologyException(Reason.CONFLICT, field + ".qkdl_type: " + report.getQkdlType()
                        + " but the other end reports " + o.getQkdlType());
            }
            String theirRemoteIf = o.getQkdlRemote().getQkdiId();
            if (!theirRemoteIf.isEmpty() && !report.getQkdlLocal().getQkdiId().isEmpty()
                    && !theirRemoteIf.equals(report.getQkdlLocal().getQkdiId())) {
                throw new QkdTopologyException(Reason.CONFLICT, field + ".qkdl_local.qkdi_id: the other end "
                        + "expects interface " + theirRemoteIf);
            }
        }
    }

    private static void requireUuid(String value, String field) {
        if (!QkdIds.isUuid(value)) {
            throw invalid(field + ": not a UUID");
        }
    }

    private static QkdTopologyException invalid(String message) {
        return new QkdTopologyException(Reason.INVALID_ARGUMENT, message);
    }

    /**
     * The store's delegate: queues the event and makes sure a drain is scheduled, then returns. A
     * burst of events (a performance report from every agent) costs one hand-off to the dispatch
     * thread, not one per event; the single drainer keeps them in order.
     */
    private void post(QkdTopologyEvent event) {
        if (listeners.isEmpty()) {
            return;
        }
        pending.add(event);
        if (draining.compareAndSet(false, true)) {
            try {
                eventExecutor.execute(this::drain);
            } catch (java.util.concurrent.RejectedExecutionException e) {
                pending.clear();
                log.debug("event {} dropped: manager closed", event);
            }
        }
    }

    /** Runs on the event-dispatch thread: delivers queued events until none is left. */
    private void drain() {
        while (true) {
            QkdTopologyEvent e;
            while ((e = pending.poll()) != null) {
                deliver(e);
            }
            draining.set(false);
            // An event queued after the last poll but before the flag was cleared found the flag
            // set and did not schedule a drain: take it over here.
            if (pending.isEmpty() || !draining.compareAndSet(false, true)) {
                return;
            }
        }
    }

    /** Runs on the event-dispatch thread. */
    private void deliver(QkdTopologyEvent event) {
        for (QkdTopologyListener l : listeners) {
            long start = System.nanoTime();
            try {
                l.event(event);
            } catch (RuntimeException e) {
                log.warn("topology listener {} failed on {}", l, event, e);
            }
            long took = System.nanoTime() - start;
            if (took > SLOW_LISTENER_NANOS) {
                log.warn("topology listener {} took {} ms on {}; listeners must return at once",
                        l, TimeUnit.NANOSECONDS.toMillis(took), event);
            }
        }
    }
}

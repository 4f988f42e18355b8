package org.qkdnf.controller.impl;

import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyEvents;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.api.QkdTopologyStoreDelegate;

/**
 * A topology store whose working set lives in two {@link ConcurrentHashMap}s, with hooks through
 * which a subclass makes structural changes durable.
 *
 * <p>Threads: any thread may call any method. Atomicity per node and per link comes from
 * {@link ConcurrentHashMap#compute}: an update function and the persist hook run while the entry is
 * locked, so the durable copy of a key is written in the same order as the in-memory one; the wait
 * for durability ({@link #awaitDurable}) happens after the lock is released. There is
 * no global lock; updates to different links proceed in parallel. Events are derived after the
 * compute and handed to the delegate on the calling thread (the delegate only enqueues them).
 */
public abstract class AbstractQkdTopologyStore implements QkdTopologyStore {

    private final ConcurrentHashMap<String, QkdNodeInfo> nodes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, QkdLinkInfo> links = new ConcurrentHashMap<>();
    private volatile ControllerSettings settings;
    private volatile QkdTopologyStoreDelegate delegate;
    /** Nesting depth of {@link #batch} on this thread; durability is awaited when it returns to 0. */
    private final ThreadLocal<int[]> batchDepth = ThreadLocal.withInitial(() -> new int[1]);

    /** Seeds the working set (from a durable copy, at start-up, before any update). */
    protected void load(Collection<QkdNodeInfo> storedNodes, Collection<QkdLinkInfo> storedLinks,
                        ControllerSettings storedSettings) {
        for (QkdNodeInfo n : storedNodes) {
            nodes.put(n.qkdnId(), n);
        }
        for (QkdLinkInfo l : storedLinks) {
            links.put(l.qkdlId(), l);
        }
        settings = storedSettings;
    }

    /** Makes a node change durable; {@code node} null means removed. Called inside the entry's compute. */
    protected abstract void persistNode(String qkdnId, QkdNodeInfo node);

    /** Makes a link's structure durable; {@code link} null means removed. Called inside the entry's compute. */
    protected abstract void persistLink(String qkdlId, QkdLinkInfo link);

    /** Makes the settings durable. */
    protected abstract void persistSettings(ControllerSettings settings);

    /**
     * Waits until every write made so far by the persist hooks is durable. Called after the
     * entry's compute has released its lock (so a slow sync does not block other keys), once per
     * update or once per {@link #batch}. The default does nothing (the hooks are durable alone).
     */
    protected void awaitDurable() {
    }

    @Override
    public <T> T batch(java.util.function.Supplier<T> work) {
        int[] depth = batchDepth.get();
        depth[0]++;
        boolean ok = false;
        try {
            T result = work.get();
            ok = true;
            return result;
        } finally {
            depth[0]--;
            if (depth[0] == 0) {
                batchDepth.remove();
                // Also after a failed batch: what it wrote before failing is in memory and must be durable too.
                awaitDurable();
            }
        }
    }

    private void durableUnlessBatched(boolean wrote) {
        if (wrote && batchDepth.get()[0] == 0) {
            awaitDurable();
        }
    }

    @Override
    public void setDelegate(QkdTopologyStoreDelegate delegate) {
        this.delegate = delegate;
    }

    @Override
    public void unsetDelegate(QkdTopologyStoreDelegate delegate) {
        if (this.delegate == delegate) {
            this.delegate = null;
        }
    }

    @Override
    public Collection<QkdNodeInfo> getNodes() {
        return Collections.unmodifiableCollection(List.copyOf(nodes.values()));
    }

    @Override
    public Optional<QkdNodeInfo> getNode(String qkdnId) {
        return Optional.ofNullable(nodes.get(qkdnId));
    }

    @Override
    public Collection<QkdLinkInfo> getLinks() {
        return Collections.unmodifiableCollection(List.copyOf(links.values()));
    }

    @Override
    public Optional<QkdLinkInfo> getLink(String qkdlId) {
        return Optional.ofNullable(links.get(qkdlId));
    }

    @Override
    public QkdNodeInfo updateNode(String qkdnId, UnaryOperator<QkdNodeInfo> fn) {
        QkdNodeInfo[] before = new QkdNodeInfo[1];
        boolean[] wrote = new boolean[1];
        QkdNodeInfo after = nodes.compute(qkdnId, (id, current) -> {
            before[0] = current;
            QkdNodeInfo next = fn.apply(current);
            // The connected flag and lastSeen are not durable (every node restarts disconnected),
            // so only a changed inventory or a removal costs a durable write.
            if (next == null ? current != null : current == null || !current.node().equals(next.node())) {
                persistNode(id, next);
                wrote[0] = true;
            }
            return next;
        });
        durableUnlessBatched(wrote[0]);
        post(QkdTopologyEvents.nodeChange(before[0], after));
        return after;
    }

    @Override
    public QkdLinkInfo updateLink(String qkdlId, UnaryOperator<QkdLinkInfo> fn) {
        QkdLinkInfo[] before = new QkdLinkInfo[1];
        boolean[] wrote = new boolean[1];
        QkdLinkInfo after = links.compute(qkdlId, (id, current) -> {
            before[0] = current;
            QkdLinkInfo next = fn.apply(current);
            if (next == null ? current != null : !next.sameStructure(current)) {
                persistLink(id, next);
                wrote[0] = true;
            }
            return next;
        });
        durableUnlessBatched(wrote[0]);
        post(QkdTopologyEvents.linkChange(before[0], after, false));
        return after;
    }

    @Override
    public QkdLinkInfo updateLinkPerformance(String qkdlId, UnaryOperator<QkdLinkInfo> fn) {
        QkdLinkInfo[] before = new QkdLinkInfo[1];
        // Hot path: in memory only, by design (see QkdTopologyStore).
        QkdLinkInfo after = links.computeIfPresent(qkdlId, (id, current) -> {
            before[0] = current;
            return fn.apply(current);
        });
        if (after == null) {
            return null;
        }
        post(QkdTopologyEvents.linkChange(before[0], after, true));
        return after;
    }

    @Override
    public Optional<ControllerSettings> getSettings() {
        return Optional.ofNullable(settings);
    }

    @Override
    public synchronized void putSettings(ControllerSettings newSettings) {
        persistSettings(newSettings);
        awaitDurable();
        settings = newSettings;
    }

    private void post(List<QkdTopologyEvent> events) {
        QkdTopologyStoreDelegate d = delegate;
        if (d == null) {
            return;
        }
        for (int i = 0; i < events.size(); i++) {
            d.notify(events.get(i));
        }
    }
}

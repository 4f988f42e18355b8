package org.qkdnf.controller.app.store;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.function.UnaryOperator;

import org.onlab.util.KryoNamespace;
import org.onosproject.cluster.ClusterEvent;
import org.onosproject.cluster.ClusterEventListener;
import org.onosproject.cluster.ClusterService;
import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.ConsistentMapException;
import org.onosproject.store.service.MapEvent;
import org.onosproject.store.service.MapEventListener;
import org.onosproject.store.service.Serializer;
import org.onosproject.store.service.StorageService;
import org.onosproject.store.service.Versioned;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyEvents;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.api.QkdTopologyStoreDelegate;
import org.qkdnf.controller.impl.QkdLinkRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The topology store of an ONOS cluster: nodes, link structure and settings live in ONOS
 * {@link ConsistentMap}s, so every instance of the cluster sees the same topology and a restarted
 * (or newly joined) instance finds it all there.
 *
 * <p>Atomicity: each update reads the entry with its version, applies the update function and
 * writes back only if the version is unchanged ({@code replace(key, version, value)},
 * {@code putIfAbsent}, {@code remove(key, version)}); on a concurrent change, by this or another
 * instance, it re-reads and re-applies the (pure) function. So both ends of a link reporting
 * through two different instances at once never lose either report. An update whose result has
 * the same structure writes nothing. (Why not the core's AbstractQkdTopologyStore: its in-memory
 * working set is the authority and the durable copy follows it, so two instances would each write
 * their own view of a link and overwrite the other's end.)
 *
 * <p>Performance figures (SKR, QBER, key volume) are not written to the cluster: at up to 100,000
 * reports/s a consensus write per report is out of the question, and the store contract keeps them
 * in memory only. They stay in {@link #live} on the instance whose agent reported them and are
 * shown with a link while the link's shared structure is the one they were measured on; a
 * structural change (an inventory, a link down, an end's status change, from any instance)
 * replaces them until the next report. A status change carried by a performance report is
 * structural and is shared.
 *
 * <p>Agents: a node record also names the ONOS instance its agent is connected to. When an
 * instance leaves the cluster (INSTANCE_DEACTIVATED/REMOVED) the others mark its agents
 * disconnected; when an instance starts, it clears what its previous life left connected. (After a
 * partition heals, agents of the instance that was cut off show disconnected until they reconnect
 * or send an inventory.)
 *
 * <p>Events: structural events (NODE_*, LINK_ADDED/UPDATED/REMOVED/STATUS_CHANGED) are derived from
 * the maps' events, so every instance's listeners see every change, wherever it was made.
 * LINK_PERFORMANCE and changes of the degraded flag alone are local, posted by the instance that
 * made them.
 *
 * <p>Threads: any thread may call any method. The maps' listeners run on ONOS's event threads
 * (on the writing thread with the test maps); they only derive events and hand them to the delegate,
 * which enqueues. {@code nodes}, {@code links}, {@code settings} are set once in {@link #activate}
 * on the SCR thread, before SCR registers the service; {@code live} and the caches are concurrent
 * maps written by any thread.
 */
@Component(immediate = true, service = QkdTopologyStore.class)
public final class DistributedQkdTopologyStore implements QkdTopologyStore {

    static final String NODES_MAP = "qkdnf-controller-nodes";
    static final String LINKS_MAP = "qkdnf-controller-links";
    static final String SETTINGS_MAP = "qkdnf-controller-settings";
    static final String SETTINGS_KEY = "controller";
    /** Optimistic retries before an update gives up; only reached under pathological contention. */
    static final int MAX_ATTEMPTS = 64;

    private static final Logger log = LoggerFactory.getLogger(DistributedQkdTopologyStore.class);

    /** Values are opaque bytes (see TopologyRecords); keys are ids. */
    private static final Serializer SERIALIZER = Serializer.using(
            new KryoNamespace.Builder().register(byte[].class).build("qkdnf-controller"));

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected StorageService storageService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ClusterService clusterService;

    /** This ONOS instance's id, recorded as the host of the agents connected here. Set in activate. */
    private volatile String localInstance;
    /** Runs the clean-up after another instance left (cluster listeners must return at once). */
    private ExecutorService reaper;
    private final ClusterEventListener clusterListener = this::clusterChanged;

    private volatile ConsistentMap<String, byte[]> nodes;
    private volatile ConsistentMap<String, byte[]> links;
    private volatile ConsistentMap<String, byte[]> settings;
    private final DecodedCache<QkdNodeInfo> nodeCache = new DecodedCache<>(TopologyRecords::decodeNode);
    private final DecodedCache<QkdLinkInfo> linkCache = new DecodedCache<>(QkdLinkRecord::decode);
    /** This instance's latest view of links with performance figures (see class comment). */
    private final ConcurrentHashMap<String, QkdLinkInfo> live = new ConcurrentHashMap<>();
    private final MapEventListener<String, byte[]> nodeListener = e -> guarded(e, this::nodeMapChanged);
    private final MapEventListener<String, byte[]> linkListener = e -> guarded(e, this::linkMapChanged);
    private volatile QkdTopologyStoreDelegate delegate;

    @Activate
    protected void activate() {
        localInstance = clusterService.getLocalNode().id().id();
        nodes = buildMap(NODES_MAP);
        links = buildMap(LINKS_MAP);
        settings = buildMap(SETTINGS_MAP);
        nodes.addListener(nodeListener);
        links.addListener(linkListener);
        reaper = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qkdnf-agent-reaper");
            t.setDaemon(true);
            return t;
        });
        clusterService.addListener(clusterListener);
        // Agents recorded as connected to this instance belong to its previous life (it crashed or
        // was restarted): no stream can be open yet, since the Sq server needs this store first.
        int stale = disconnectAgentsOf(localInstance);
        log.info("Started on {}: {} nodes, {} links in the cluster's topology; {} stale agent connections cleared",
                localInstance, nodes.size(), links.size(), stale);
    }

    @Deactivate
    protected void deactivate() {
        clusterService.removeListener(clusterListener);
        reaper.shutdownNow();
        nodes.removeListener(nodeListener);
        links.removeListener(linkListener);
        live.clear();
        nodeCache.clear();
        linkCache.clear();
        log.info("Stopped");
    }

    private ConsistentMap<String, byte[]> buildMap(String name) {
        // Relaxed reads: served from the instance's cache of the map, kept current by its events;
        // writes stay linearizable. The performance path reads a link on every report.
        return storageService.<String, byte[]>consistentMapBuilder()
                .withName(name)
                .withSerializer(SERIALIZER)
                .withRelaxedReadConsistency()
                .build();
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

    // ------------------------------------------------------------------------------------------
    // Reads

    @Override
    public Collection<QkdNodeInfo> getNodes() {
        List<QkdNodeInfo> result = new ArrayList<>();
        for (Map.Entry<String, Versioned<byte[]>> e : nodes.entrySet()) {
            result.add(nodeCache.get(e.getKey(), e.getValue()));
        }
        return Collections.unmodifiableList(result);
    }

    @Override
    public Optional<QkdNodeInfo> getNode(String qkdnId) {
        return Optional.ofNullable(nodeCache.get(qkdnId, nodes.get(qkdnId)));
    }

    @Override
    public Collection<QkdLinkInfo> getLinks() {
        List<QkdLinkInfo> result = new ArrayList<>();
        for (Map.Entry<String, Versioned<byte[]>> e : links.entrySet()) {
            result.add(view(e.getKey(), linkCache.get(e.getKey(), e.getValue())));
        }
        return Collections.unmodifiableList(result);
    }

    @Override
    public Optional<QkdLinkInfo> getLink(String qkdlId) {
        return Optional.ofNullable(view(qkdlId, linkCache.get(qkdlId, links.get(qkdlId))));
    }

    /** The link as shown here: with this instance's figures if they were measured on this structure. */
    private QkdLinkInfo view(String qkdlId, QkdLinkInfo structure) {
        if (structure == null) {
            return null;
        }
        QkdLinkInfo local = live.get(qkdlId);
        return local != null && local.sameStructure(structure) ? local : structure;
    }

    // ------------------------------------------------------------------------------------------
    // Writes

    @Override
    public QkdNodeInfo updateNode(String qkdnId, UnaryOperator<QkdNodeInfo> fn) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Versioned<byte[]> stored = nodes.get(qkdnId);
            QkdNodeInfo current = nodeCache.get(qkdnId, stored);
            QkdNodeInfo next = fn.apply(current);
            if (next == null ? current == null : next.equals(current)) {
                return next;
            }
            if (isStaleDisconnect(qkdnId, stored, current, next)) {
                return current;
            }
            byte[] record = next == null ? null
                    : TopologyRecords.encodeNode(next, next.agentConnected() ? localInstance : "");
            if (write(nodes, qkdnId, stored, record)) {
                return next;
            }
        }
        throw contention(NODES_MAP, qkdnId);
    }

    /**
     * An agent that moved to another instance leaves its old stream to end later on the old one:
     * that instance's "disconnected" must not overwrite the new connection. Only the instance that
     * hosts the agent may mark it disconnected (or the clean-up of a departed instance).
     */
    private boolean isStaleDisconnect(String qkdnId, Versioned<byte[]> stored, QkdNodeInfo current, QkdNodeInfo next) {
        if (stored == null || next == null || !current.agentConnected() || next.agentConnected()
                || !current.node().equals(next.node())) {
            return false;
        }
        String host = TopologyRecords.hostOf(qkdnId, stored.value());
        if (host.isEmpty() || host.equals(localInstance)) {
            return false;
        }
        log.debug("Ignoring disconnect of node {}: its agent is connected to instance {}", qkdnId, host);
        return true;
    }

    @Override
    public QkdLinkInfo updateLink(String qkdlId, UnaryOperator<QkdLinkInfo> fn) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Versioned<byte[]> stored = links.get(qkdlId);
            QkdLinkInfo current = view(qkdlId, linkCache.get(qkdlId, stored));
            QkdLinkInfo next = fn.apply(current);
            if (next == null ? current == null : next.sameStructure(current)) {
                if (next != null && !next.equals(current)) {
                    // Same structure, other figures or degraded flag (a new QBER threshold): local only.
                    live.put(qkdlId, next);
                    post(QkdTopologyEvents.linkChange(current, next, false));
                }
                return next;
            }
            if (next != null && next.hasPerformance()) {
                // Before the write, so that the map event (maybe delivered on this thread) shows them.
                live.put(qkdlId, next);
            }
            if (write(links, qkdlId, stored, next == null ? null : QkdLinkRecord.encode(next))) {
                if (next == null) {
                    live.remove(qkdlId);
                }
                return next;
            }
        }
        throw contention(LINKS_MAP, qkdlId);
    }

    @Override
    public QkdLinkInfo updateLinkPerformance(String qkdlId, UnaryOperator<QkdLinkInfo> fn) {
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Versioned<byte[]> stored = links.get(qkdlId);
            if (stored == null) {
                live.remove(qkdlId);
                return null;
            }
            QkdLinkInfo local = live.get(qkdlId);
            QkdLinkInfo current = view(qkdlId, linkCache.get(qkdlId, stored));
            QkdLinkInfo next = fn.apply(current);
            if (next.sameStructure(current)) {
                // The hot path: figures only, this instance only. The compare-and-set keeps two
                // reports of the same link (its two ends, both connected here) from interleaving.
                boolean swapped = local == null ? live.putIfAbsent(qkdlId, next) == null
                        : live.replace(qkdlId, local, next);
                if (swapped) {
                    post(QkdTopologyEvents.linkChange(current, next, true));
                    return next;
                }
                continue;
            }
            // The report changed its end's status: structural, shared with the cluster. The map
            // event reports LINK_STATUS_CHANGED; only LINK_PERFORMANCE is posted here.
            live.put(qkdlId, next);
            if (links.replace(qkdlId, stored.version(), QkdLinkRecord.encode(next))) {
                post(List.of(QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_PERFORMANCE, next, current)));
                return next;
            }
        }
        throw contention(LINKS_MAP, qkdlId);
    }

    @Override
    public Optional<ControllerSettings> getSettings() {
        Versioned<byte[]> stored = settings.get(SETTINGS_KEY);
        return stored == null ? Optional.empty() : Optional.of(TopologyRecords.decodeSettings(stored.value()));
    }

    @Override
    public void putSettings(ControllerSettings newSettings) {
        settings.put(SETTINGS_KEY, TopologyRecords.encodeSettings(newSettings));
    }

    /** One conditional write: true when the entry still had the version that was read. */
    private static boolean write(ConsistentMap<String, byte[]> map, String key, Versioned<byte[]> read,
                                 byte[] value) {
        if (value == null) {
            return map.remove(key, read.version());
        }
        if (read == null) {
            return map.putIfAbsent(key, value) == null;
        }
        return map.replace(key, read.version(), value);
    }

    private static ConsistentMapException contention(String map, String key) {
        return new ConsistentMapException.ConcurrentModification(
                map + "/" + key + ": still contended after " + MAX_ATTEMPTS + " attempts");
    }

    // ------------------------------------------------------------------------------------------
    // Agents of an instance that left the cluster

    /** Cluster event thread: hands the work to the reaper and returns. */
    private void clusterChanged(ClusterEvent event) {
        if (event.type() == ClusterEvent.Type.INSTANCE_DEACTIVATED || event.type() == ClusterEvent.Type.INSTANCE_REMOVED) {
            String gone = event.subject().id().id();
            if (!gone.equals(localInstance)) {
                reaper.execute(() -> {
                    int n = disconnectAgentsOf(gone);
                    log.info("Instance {} left ({}): {} of its agents marked disconnected", gone, event.type(), n);
                });
            }
        }
    }

    /**
     * Marks disconnected every node whose record says its agent is connected to {@code instance}.
     * Each instance that sees the departure runs this; the conditional write makes one of them win
     * and the others (and an agent that reconnected elsewhere meanwhile) leave the record alone.
     *
     * @return how many nodes this call marked
     */
    int disconnectAgentsOf(String instance) {
        int marked = 0;
        Instant now = Instant.now();
        for (Map.Entry<String, Versioned<byte[]>> e : nodes.entrySet()) {
            String id = e.getKey();
            Versioned<byte[]> v = e.getValue();
            try {
                if (!instance.equals(TopologyRecords.hostOf(id, v.value()))) {
                    continue;
                }
                QkdNodeInfo n = nodeCache.get(id, v);
                if (n.agentConnected() && nodes.replace(id, v.version(),
                        TopologyRecords.encodeNode(n.withAgentConnected(false, now), ""))) {
                    marked++;
                }
            } catch (IllegalStateException corrupt) {
                log.error("Cannot check the agent host of node {}: {}", id, corrupt.getMessage());
            }
        }
        return marked;
    }

    // ------------------------------------------------------------------------------------------
    // Map events → topology events (ONOS event threads)

    /** A record that does not parse must not kill ONOS's event thread, nor go unnoticed. */
    private static void guarded(MapEvent<String, byte[]> event, MapEventListener<String, byte[]> handler) {
        try {
            handler.event(event);
        } catch (RuntimeException e) {
            log.error("Cannot derive topology events from {} {} of {}: {}", event.type(), event.key(),
                    event.name(), e.getMessage(), e);
        }
    }

    private void nodeMapChanged(MapEvent<String, byte[]> event) {
        String id = event.key();
        QkdNodeInfo before = decodeOrNull(event.oldValue(), v -> TopologyRecords.decodeNode(id, v));
        QkdNodeInfo after = nodeCache.get(id, event.newValue());
        if (after == null) {
            nodeCache.remove(id);
        }
        post(QkdTopologyEvents.nodeChange(before, after));
    }

    private void linkMapChanged(MapEvent<String, byte[]> event) {
        String id = event.key();
        QkdLinkInfo before = decodeOrNull(event.oldValue(), v -> QkdLinkRecord.decode(id, v));
        QkdLinkInfo after = linkCache.get(id, event.newValue());
        if (after == null) {
            linkCache.remove(id);
            live.remove(id);
        }
        // Event types from the shared structures (the same on every instance), payload as shown here.
        List<QkdTopologyEvent> events = QkdTopologyEvents.linkChange(before, after, false);
        List<QkdTopologyEvent> shown = new ArrayList<>(events.size());
        for (QkdTopologyEvent e : events) {
            shown.add(e.type() == QkdTopologyEvent.Type.LINK_REMOVED ? e
                    : QkdTopologyEvent.ofLink(e.type(), view(id, after), before));
        }
        post(shown);
    }

    private static <T> T decodeOrNull(Versioned<byte[]> v, java.util.function.Function<byte[], T> decoder) {
        return v == null || v.value() == null ? null : decoder.apply(v.value());
    }

    private void post(List<QkdTopologyEvent> events) {
        QkdTopologyStoreDelegate d = delegate;
        if (d == null) {
            return;
        }
        for (QkdTopologyEvent e : events) {
            d.notify(e);
        }
    }
}

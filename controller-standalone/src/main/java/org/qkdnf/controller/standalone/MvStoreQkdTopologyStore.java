package org.qkdnf.controller.standalone;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.impl.AbstractQkdTopologyStore;
import org.qkdnf.controller.impl.QkdLinkRecord;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Topology store on an H2 MVStore file: the working set in memory (see
 * {@link AbstractQkdTopologyStore}), structure and settings also on disk.
 *
 * <p>What is durable: each node's last inventory ({@code QkdNode} protobuf bytes), each link's two
 * end reports and end statuses, and the controller settings. Each such change is written with
 * {@link MVStore#commit()} and {@link MVStore#sync()} before the update returns (and so before the
 * agent's next message is read; an inventory's node and links share one sync, and concurrent
 * updates share syncs by group commit), so a kill -9 right after it loses nothing: MVStore's chunks and
 * checksummed headers reopen at the last complete commit. What is not durable, on purpose: link
 * performance (SKR, QBER, key volume; up to 100,000 updates/s would otherwise mean as many syncs),
 * status changes carried only by performance reports, and the agents' connection flags: after a
 * restart every node is disconnected and every link lacks performance until its agents report again.
 *
 * <p>Threads: MVStore maps are thread-safe and its commit is internally serialized; the persist
 * hooks run inside the per-key compute of the base class, so a key's disk copy follows the same
 * order as its memory copy.
 */
public final class MvStoreQkdTopologyStore extends AbstractQkdTopologyStore implements AutoCloseable {

    public static final String FILE_NAME = "controller.mv.db";
    private static final Logger log = LoggerFactory.getLogger(MvStoreQkdTopologyStore.class);

    private final MVStore mv;
    private final MVMap<String, byte[]> nodes;
    private final MVMap<String, byte[]> links;
    private final MVMap<String, String> settings;

    private MvStoreQkdTopologyStore(MVStore mv) {
        this.mv = mv;
        this.nodes = mv.openMap("nodes");
        this.links = mv.openMap("links");
        this.settings = mv.openMap("settings");
    }

    /**
     * Opens (or creates) the store file and loads it.
     *
     * @throws IOException when the file cannot be opened or its content does not parse
     */
    public static MvStoreQkdTopologyStore open(Path file) throws IOException {
        MVStore mv;
        try {
            mv = new MVStore.Builder().fileName(file.toString()).open();
        } catch (MVStoreException e) {
            throw new IOException("cannot open controller store " + file + ": " + e.getMessage(), e);
        }
        MvStoreQkdTopologyStore store = new MvStoreQkdTopologyStore(mv);
        try {
            store.loadAll();
        } catch (IOException | RuntimeException e) {
            mv.closeImmediately();
            throw e instanceof IOException ? (IOException) e : new IOException("corrupt controller store " + file, e);
        }
        return store;
    }

    private void loadAll() throws IOException {
        Instant now = Instant.now();
        List<QkdNodeInfo> n = new ArrayList<>(nodes.size());
        for (Map.Entry<String, byte[]> e : nodes.entrySet()) {
            n.add(new QkdNodeInfo(QkdNode.parseFrom(e.getValue()), false, now));
        }
        List<QkdLinkInfo> l = new ArrayList<>(links.size());
        for (Map.Entry<String, byte[]> e : links.entrySet()) {
            l.add(QkdLinkRecord.decode(e.getKey(), e.getValue()));
        }
        ControllerSettings s = settings.isEmpty() ? null : ControllerSettings.fromProperties(new HashMap<>(settings));
        load(n, l, s);
        log.info("controller store loaded: {} nodes, {} links, settings {}", n.size(), l.size(), s);
    }

    @Override
    protected void persistNode(String qkdnId, QkdNodeInfo node) {
        if (node == null) {
            nodes.remove(qkdnId);
        } else {
            nodes.put(qkdnId, node.node().toByteArray());
        }
        durable();
    }

    @Override
    protected void persistLink(String qkdlId, QkdLinkInfo link) {
        if (link == null) {
            links.remove(qkdlId);
        } else {
            links.put(qkdlId, QkdLinkRecord.encode(link));
        }
        durable();
    }

    @Override
    protected void persistSettings(ControllerSettings s) {
        settings.putAll(s.toProperties());
        durable();  // the base class awaits durability after this hook
    }

    /** Bumped after each write to a map; a sync that started after reading n covers writes 1..n. */
    private final java.util.concurrent.atomic.AtomicLong writes = new java.util.concurrent.atomic.AtomicLong();
    private final Object syncLock = new Object();
    private long synced; // guarded by syncLock

    private void durable() {
        writes.incrementAndGet();
    }

    /**
     * Group commit: the first waiter commits and syncs everything written so far; waiters whose
     * writes that sync covered return without syncing again. So concurrent inventories of many
     * agents share fsyncs, and no caller returns before its own writes are on the device.
     */
    @Override
    protected void awaitDurable() {
        long mine = writes.get();
        synchronized (syncLock) {
            if (synced >= mine) {
                return;
            }
            long upTo = writes.get();
            mv.commit();
            mv.sync();
            synced = upTo;
        }
    }

    /** Commits and closes the file (bounded: MVStore writes what is pending and stops). */
    @Override
    public void close() {
        if (!mv.isClosed()) {
            mv.close();
        }
    }
}

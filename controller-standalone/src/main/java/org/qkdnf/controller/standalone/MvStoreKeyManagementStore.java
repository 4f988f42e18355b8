package org.qkdnf.controller.standalone;

import java.io.IOException;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import com.google.protobuf.InvalidProtocolBufferException;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.qkdnf.controller.api.KeyManagementStore;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmNode;

/**
 * {@link KeyManagementStore} on its own H2 MVStore file next to the topology store's: key-manager
 * registrations (hello and inventory) and key routes with their state, as protobuf bytes. Every
 * write is committed and synced before it returns, except the deferred route writes: key services
 * install routes by the thousand, so those are made durable in batches by a {@link GroupCommit}
 * before the route is sent or acknowledged. Either way an acknowledged route survives a kill -9.
 *
 * <p>Threads: MVStore maps are thread-safe; {@code synchronized} serializes put-commit-sync.
 * Each write call changes one map, which lets {@link GroupCommit} commit without this lock.
 */
public final class MvStoreKeyManagementStore implements KeyManagementStore, AutoCloseable {

    public static final String FILE_NAME = "keymgmt.mv.db";

    private final MVStore mv;
    private final MVMap<String, byte[]> nodes;
    private final MVMap<String, byte[]> routes;

    private final GroupCommit groupCommit;
    /** Whether {@link #close()} closes {@link #groupCommit} (false: shared, its creator closes it). */
    private final boolean ownsGroupCommit;

    private MvStoreKeyManagementStore(MVStore mv, GroupCommit shared) {
        this.mv = mv;
        this.nodes = mv.openMap("km-nodes", new MVMap.Builder<String, byte[]>().keyType(UuidKeyType.INSTANCE));
        this.routes = mv.openMap("key-routes", new MVMap.Builder<String, byte[]>().keyType(UuidKeyType.INSTANCE));
        this.ownsGroupCommit = shared == null;
        this.groupCommit = shared == null ? new GroupCommit("keymgmt") : shared;
        groupCommit.add(mv);
    }

    /** @throws IOException when the file cannot be opened or a record does not parse */
    public static MvStoreKeyManagementStore open(Path file) throws IOException {
        return open(file, null);
    }

    /** Like {@link #open(Path)}, made durable by {@code shared} together with its other stores (null: its own). */
    static MvStoreKeyManagementStore open(Path file, GroupCommit shared) throws IOException {
        MVStore mv;
        try {
            mv = new MVStore.Builder().fileName(file.toString()).open();
        } catch (MVStoreException e) {
            throw new IOException("cannot open key management store " + file + ": " + e.getMessage(), e);
        }
        MvStoreKeyManagementStore s = new MvStoreKeyManagementStore(mv, shared);
        try {
            s.loadNodes();
            s.loadRoutes();
        } catch (RuntimeException e) {
            if (s.ownsGroupCommit) {
                s.groupCommit.close();
            }
            mv.closeImmediately();
            throw new IOException("corrupt key management store " + file, e);
        }
        return s;
    }

    @Override
    public Map<String, KmNode> loadNodes() {
        Map<String, KmNode> out = new HashMap<>();
        for (Map.Entry<String, byte[]> e : nodes.entrySet()) {
            try {
                out.put(e.getKey(), KmNode.parseFrom(e.getValue()));
            } catch (InvalidProtocolBufferException x) {
                throw new IllegalStateException("key manager " + e.getKey() + ": stored record does not parse", x);
            }
        }
        return out;
    }

    @Override
    public synchronized void putNode(KmNode registration) {
        KmNode kept = KmNode.newBuilder().setHello(registration.getHello()).setInventory(registration.getInventory())
                .build();
        nodes.put(kept.getHello().getQkdnId(), kept.toByteArray());
        durable();
    }

    @Override
    public Map<String, KeyRouteEntry> loadRoutes() {
        Map<String, KeyRouteEntry> out = new HashMap<>();
        for (Map.Entry<String, byte[]> e : routes.entrySet()) {
            try {
                out.put(e.getKey(), KeyRouteEntry.parseFrom(e.getValue()));
            } catch (InvalidProtocolBufferException x) {
                throw new IllegalStateException("key route " + e.getKey() + ": stored record does not parse", x);
            }
        }
        return out;
    }

    @Override
    public synchronized void putRoute(KeyRouteEntry entry) {
        routes.put(entry.getRoute().getServiceId(), entry.toByteArray());
        durable();
    }

    @Override
    public synchronized void removeRoute(String serviceId) {
        routes.remove(serviceId);
        durable();
    }

    @Override
    public synchronized void putRouteDeferred(KeyRouteEntry entry) {
        routes.put(entry.getRoute().getServiceId(), entry.toByteArray());
    }

    @Override
    public synchronized void removeRouteDeferred(String serviceId) {
        routes.remove(serviceId);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return groupCommit.flush();
    }

    private void durable() {
        mv.commit();
        mv.sync();
    }

    @Override
    public void close() {
        if (ownsGroupCommit) {
            groupCommit.close();
        }
        synchronized (this) {
            if (!mv.isClosed()) {
                mv.close();
            }
        }
    }
}

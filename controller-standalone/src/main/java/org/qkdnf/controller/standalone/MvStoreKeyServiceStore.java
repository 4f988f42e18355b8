package org.qkdnf.controller.standalone;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.qkdnf.controller.keyservice.KeyServiceStore;
import org.qkdnf.proto.northbound.v1.KeyService;

/**
 * Key services (spec, state, routes) in {@code <data-dir>/key-services.mv.db}, one protobuf
 * {@code KeyService} per service id: every change is committed and synced before the call
 * returns, or, for the deferred writes, once a later {@link #flush()} completes (one sync for a
 * batch, on a {@link GroupCommit} thread), so a service the controller acknowledged survives a crash.
 *
 * <p>Threads: called from the key-service manager's one thread; synchronized anyway.
 * Each write call changes one map, which lets {@link GroupCommit} commit without this lock.
 */
public final class MvStoreKeyServiceStore implements KeyServiceStore, AutoCloseable {

    public static final String FILE_NAME = "key-services.mv.db";

    private final MVStore mv;
    private final MVMap<String, byte[]> services;

    private final GroupCommit groupCommit;
    /** Whether {@link #close()} closes {@link #groupCommit} (false: shared, its creator closes it). */
    private final boolean ownsGroupCommit;
    /** Whether {@link #groupCommit} also commits the key-management and reservation stores. */
    private final boolean sharedWithKeyRoutes;

    private MvStoreKeyServiceStore(MVStore mv, GroupCommit shared) {
        this.mv = mv;
        this.services = mv.openMap("key-services", new MVMap.Builder<String, byte[]>().keyType(UuidKeyType.INSTANCE));
        this.ownsGroupCommit = shared == null;
        this.sharedWithKeyRoutes = shared != null;
        this.groupCommit = shared == null ? new GroupCommit("key-services") : shared;
        groupCommit.add(mv);
    }

    public static MvStoreKeyServiceStore open(Path dataDir) throws IOException {
        return open(dataDir, null);
    }

    /**
     * Like {@link #open(Path)}, made durable by {@code shared} (null: its own group commit), which
     * must also commit the controller's key-management and reservation stores: see
     * {@link #flushedWithKeyRoutes()}.
     */
    static MvStoreKeyServiceStore open(Path dataDir, GroupCommit shared) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        try {
            return new MvStoreKeyServiceStore(new MVStore.Builder().fileName(file.toString()).autoCommitDisabled()
                    .open(), shared);
        } catch (MVStoreException e) {
            throw new IOException("cannot open key-service store " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Collection<KeyService> loadAll() {
        List<KeyService> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : services.entrySet()) {
            try {
                out.add(KeyService.parseFrom(e.getValue()));
            } catch (InvalidProtocolBufferException ex) {
                throw new IllegalStateException("key service " + e.getKey() + ": corrupt record", ex);
            }
        }
        return out;
    }

    @Override
    public synchronized void save(KeyService service) {
        services.put(service.getServiceId(), service.toByteArray());
        durable();
    }

    @Override
    public synchronized void remove(String serviceId) {
        if (services.remove(serviceId) != null) {
            durable();
        }
    }

    @Override
    public synchronized void saveDeferred(KeyService service) {
        services.put(service.getServiceId(), service.toByteArray());
    }

    @Override
    public synchronized void removeDeferred(String serviceId) {
        services.remove(serviceId);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return groupCommit.flush();
    }

    @Override
    public boolean flushedWithKeyRoutes() {
        return sharedWithKeyRoutes;
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
            mv.close();
        }
    }
}

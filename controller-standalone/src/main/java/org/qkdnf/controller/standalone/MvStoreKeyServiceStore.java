package org.qkdnf.controller.standalone;

import com.google.protobuf.InvalidProtocolBufferException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.qkdnf.controller.keyservice.KeyServiceStore;
import org.qkdnf.proto.northbound.v1.KeyService;

/**
 * Key services (spec, state, routes) in {@code <data-dir>/key-services.mv.db}, one protobuf
 * {@code KeyService} per service id: every change is committed and synced before the call
 * returns, so a service the controller acknowledged survives a crash.
 *
 * <p>Threads: called from the key-service manager's one thread; synchronized anyway.
 */
public final class MvStoreKeyServiceStore implements KeyServiceStore, AutoCloseable {

    public static final String FILE_NAME = "key-services.mv.db";

    private final MVStore mv;
    private final MVMap<String, byte[]> services;

    private MvStoreKeyServiceStore(MVStore mv) {
        this.mv = mv;
        this.services = mv.openMap("key-services");
    }

    public static MvStoreKeyServiceStore open(Path dataDir) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve(FILE_NAME);
        try {
            return new MvStoreKeyServiceStore(new MVStore.Builder().fileName(file.toString()).autoCommitDisabled()
                    .open());
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

    private void durable() {
        mv.commit();
        mv.sync();
    }

    @Override
    public synchronized void close() {
        mv.close();
    }
}

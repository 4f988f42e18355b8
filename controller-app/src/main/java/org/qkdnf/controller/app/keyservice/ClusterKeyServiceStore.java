package org.qkdnf.controller.app.keyservice;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

import com.google.protobuf.InvalidProtocolBufferException;

import org.qkdnf.controller.keyservice.KeyServiceStore;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key services (spec, state, routes) in the cluster's {@code qkdnf-controller-key-services}
 * ConsistentMap, one protobuf {@code KeyService} per service id; each write is committed by the
 * cluster before it returns and fenced by the owner's term.
 *
 * <p>Threads: called from the key-service manager's one thread.
 */
final class ClusterKeyServiceStore implements KeyServiceStore {

    private static final Logger log = LoggerFactory.getLogger(ClusterKeyServiceStore.class);

    private final FencedMap map;

    ClusterKeyServiceStore(FencedMap map) {
        this.map = map;
    }

    @Override
    public Collection<KeyService> loadAll() {
        List<KeyService> out = new ArrayList<>();
        for (Map.Entry<String, byte[]> e : map.entries().entrySet()) {
            String serviceId = e.getKey();
            try {
                out.add(KeyService.parseFrom(e.getValue()));
            } catch (InvalidProtocolBufferException x) {
                log.error("key service {}: stored record does not parse; ignored", serviceId);
            }
        }
        return out;
    }

    @Override
    public void save(KeyService service) {
        map.put(service.getServiceId(), service.toByteArray());
    }

    @Override
    public void remove(String serviceId) {
        map.remove(serviceId);
    }
}

package org.qkdnf.kms;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.PeerIdentityInterceptor;
import org.qkdnf.kms.api.DeliveredKey;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.KeySupplyStatus;
import org.qkdnf.kms.kq.KeySupplyGrpcService;
import org.qkdnf.kms.relay.RelayAlarm;
import org.qkdnf.kms.relay.RelayNeighbor;
import org.qkdnf.kms.relay.RelayNode;
import org.qkdnf.kms.rest.Etsi014Server;
import org.qkdnf.kms.rest.InlineKeyDelivery;
import org.qkdnf.kms.service.KeyAssignmentClient;
import org.qkdnf.kms.service.KeyAssignmentGrpcService;
import org.qkdnf.kms.service.KeyServiceManager;
import org.qkdnf.kms.sk.SkClient;
import org.qkdnf.kms.store.MvStoreKeyPoolStore;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.common.atrest.KeyFile;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The key manager of one trusted node: durable link-key pools fed by the node's qkd-agent (Kq),
 * hop-by-hop key relay with neighbouring key managers (Kk), key services, and ETSI GS QKD 014 for
 * the SAEs. Three listeners: control (Kq from the local agent, key assignment from other key
 * managers), relay (Kk) and ETSI 014 (HTTPS); all require client certificates from the provider's
 * CA, and each service admits only its roles.
 *
 * <p>Threads: started and closed by one thread; the parts are thread-safe.
 */
public final class KmsAgent implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KmsAgent.class);
    /**
     * Threads serving the ETSI 014 requests that wait for the disk or another key manager (dec_keys,
     * enc_keys beyond the ready run), so they spend their time waiting, not computing.
     */
    static final int ETSI014_THREADS = 32;

    private final KmsAgentConfig config;
    private final Map<String, String> controlTargets = new ConcurrentHashMap<>();
    private KeyPoolStore pools;
    private ServiceKeyStore serviceKeys;
    private RelayNode relay;
    private KeyAssignmentClient assignmentClient;
    private KeyServiceManager services;
    private Server control;
    private Etsi014Server etsi014;
    private final HealthStatusManager health = new HealthStatusManager();
    private volatile SkClient controllerLink;

    private KmsAgent(KmsAgentConfig config) {
        this.config = config;
    }

    /** Opens the stores (creating the store key on first start) and starts every listener. */
    public static KmsAgent start(KmsAgentConfig config) throws IOException, InterruptedException {
        KmsAgent k = new KmsAgent(config);
        try {
            k.startAll();
            return k;
        } catch (IOException | InterruptedException | RuntimeException e) {
            k.close();
            throw e;
        }
    }

    private void startAll() throws IOException, InterruptedException {
        Files.createDirectories(config.dataDir());
        Path keyFile = config.dataDir().resolve("store.key");
        if (!Files.exists(keyFile)) {
            KeyFile.create(keyFile);
        }
        pools = MvStoreKeyPoolStore.open(config.dataDir().resolve("pools.mv.db"), keyFile);
        serviceKeys = ServiceKeyStore.open(config.dataDir().resolve("services.mv.db"), keyFile);
        assignmentClient = new KeyAssignmentClient(id -> Optional.ofNullable(controlTargets.get(id)),
                GrpcTls.channelCredentials(config.tls()));
        KeyServiceManager[] holder = new KeyServiceManager[1];
        relay = RelayNode.builder()
                .nodeId(config.qkdnId())
                .store(pools)
                .tls(config.tls())
                .listen(config.relayListen().getHostString(), config.relayListen().getPort())
                .sink((serviceId, sequence, key) -> holder[0].accept(serviceId, sequence, key))
                .alarmListener(this::onRelayAlarm)
                .build()
                .start();
        services = new KeyServiceManager(config.qkdnId(), config.kmeId(), pools, serviceKeys, relay, assignmentClient);
        holder[0] = services;
        control = NettyServerBuilder.forAddress(config.controlListen(), GrpcTls.serverCredentials(config.tls()))
                .addService(ServerInterceptors.intercept(
                        new KeySupplyGrpcService(pools, config.qkdnId(), config.laneMaxBits()),
                        new PeerIdentityInterceptor(Set.of("qkd-node"))))
                .addService(ServerInterceptors.intercept(new KeyAssignmentGrpcService(serviceKeys),
                        new PeerIdentityInterceptor(Set.of("kms"))))
                .addService(health.getHealthService())
                .build()
                .start();
        KeyServiceManager keyServices = services;
        InlineKeyDelivery fromMemory = new InlineKeyDelivery() {
            @Override
            public KeySupplyStatus status(String master, String slave) throws KeyDeliveryException {
                return keyServices.status(master, slave);
            }

            @Override
            public List<DeliveredKey> readyEncKeys(String master, String slave, int number, int sizeBits)
                    throws KeyDeliveryException {
                return keyServices.readyEncKeys(master, slave, number, sizeBits);
            }
        };
        etsi014 = Etsi014Server.start(config.etsi014Listen(), config.tls(), services, fromMemory, ETSI014_THREADS);
        services.start();
        log.info("key manager of node {} ({}): control port {}, relay port {}, ETSI 014 port {}", config.qkdnId(),
                config.kmeId(), control.getPort(), relay.port(), etsi014.port());
    }

    private void onRelayAlarm(RelayAlarm alarm) {
        log.warn("node {}: key relay alarm: {} on {}: {}", config.qkdnId(), alarm.code(), alarm.hop(),
                alarm.description());
    }

    /** Tells the key manager where a neighbour's relay listens (the link it shares with this node). */
    public void addNeighbor(RelayNeighbor neighbor) {
        relay.addNeighbor(neighbor);
    }

    /** Tells the key manager where another node's key manager takes key assignments. */
    public void addPeer(String qkdnId, String controlTarget) {
        controlTargets.put(qkdnId, controlTarget);
    }

    /**
     * Registers with the controller over Sk ({@code host:port}), reports pools and counters every
     * {@code reportInterval} (unless the controller asks otherwise) and executes its key-route
     * commands; reconnects on its own. Optional: without it the key manager runs unmanaged.
     */
    public synchronized SkClient connectController(String target, java.time.Duration reportInterval) {
        if (controllerLink != null) {
            throw new IllegalStateException("already connected to a controller");
        }
        String etsi014Address = config.etsi014Listen().getHostString() + ":" + etsi014.port();
        controllerLink = new SkClient(target, config.tls(), config.qkdnId(), config.kmeId(), etsi014Address, pools,
                relay::counters, services, reportInterval).start();
        return controllerLink;
    }

    public KeyServiceManager services() {
        return services;
    }

    public KeyPoolStore pools() {
        return pools;
    }

    public RelayNode relay() {
        return relay;
    }

    public int controlPort() {
        return control.getPort();
    }

    public int relayPort() {
        return relay.port();
    }

    public int etsi014Port() {
        return etsi014.port();
    }

    public String qkdnId() {
        return config.qkdnId();
    }

    /** Listeners first (nothing new comes in), then the stores. Idempotent. */
    @Override
    public void close() {
        if (controllerLink != null) {
            controllerLink.close();
            controllerLink = null;
        }
        if (etsi014 != null) {
            etsi014.close();
            etsi014 = null;
        }
        if (services != null) {
            services.close();
        }
        if (control != null) {
            control.shutdown();
            try {
                if (!control.awaitTermination(5, TimeUnit.SECONDS)) {
                    control.shutdownNow();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                control.shutdownNow();
            }
            control = null;
        }
        if (relay != null) {
            relay.close();
            relay = null;
        }
        if (assignmentClient != null) {
            assignmentClient.close();
        }
        if (serviceKeys != null) {
            serviceKeys.close();
            serviceKeys = null;
        }
        if (pools != null) {
            pools.close();
            pools = null;
        }
    }
}

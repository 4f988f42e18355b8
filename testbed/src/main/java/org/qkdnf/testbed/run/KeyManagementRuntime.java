package org.qkdnf.testbed.run;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.keyservice.KeyServiceManager;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.relay.LinkRelayCounters;
import org.qkdnf.kms.relay.RelayNeighbor;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.testbed.report.KeyManagementView;
import org.qkdnf.testbed.report.TestbedReport.KeyManagementReport;
import org.qkdnf.testbed.report.TestbedReport.KeyServiceReport;
import org.qkdnf.testbed.report.TestbedReport.PoolReport;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One provider's key management layer in a run: a key manager (kms-agent) per node with its stores
 * in the run directory, each knowing its neighbours (Kk) and peers (key assignment); the
 * scenario's key services installed along their pinned routes; and for every service its two SAEs
 * fetching keys over ETSI GS QKD 014 with their own certificates.
 *
 * <p>Threads: started and closed by the run's thread; {@link #keyServices()} and
 * {@link #keyManagement()} from any thread; the SAE drivers run on one scheduler thread.
 */
final class KeyManagementRuntime implements KeyManagementView, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyManagementRuntime.class);
    /**
     * Each lane of a link's pool holds at most this much unconsumed key: 2 Mbit, a minute of the
     * key services' demand, small enough that filling 72 lanes at start stays cheap on a laptop.
     */
    static final long LANE_MAX_BITS = 1L << 21;
    /** Key a source keeps relayed ahead of its SAEs' demand. */
    static final long SERVICE_BUFFER_BITS = 1L << 17;
    /** How often each key manager reports its pools and relay counters to the controller. */
    static final Duration SK_REPORT_INTERVAL = Duration.ofSeconds(1);
    static final Duration INSTALL_TIMEOUT = Duration.ofSeconds(30);

    private final Scenario.Provider provider;
    private final Map<String, KmsAgent> kms = new LinkedHashMap<>();
    private final Map<String, SaePairDriver> drivers = new LinkedHashMap<>();
    /** Requested services: scenario name -> the controller's service id. */
    private final Map<String, String> requestedIds = new java.util.concurrent.ConcurrentHashMap<>();
    private volatile KeyServiceManager keyServices;
    private final ScheduledExecutorService saes = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "testbed-saes");
        t.setDaemon(true);
        return t;
    });

    private KeyManagementRuntime(Scenario.Provider provider) {
        this.provider = provider;
    }

    /** Starts the key managers (before the agents, which dial them). */
    static KeyManagementRuntime start(Scenario.Provider provider, DevCertificateAuthority ca, RunDirectory dir)
            throws IOException, InterruptedException {
        KeyManagementRuntime rt = new KeyManagementRuntime(provider);
        try {
            rt.startKms(ca, dir);
            return rt;
        } catch (IOException | InterruptedException | RuntimeException e) {
            rt.close();
            throw e;
        }
    }

    private void startKms(DevCertificateAuthority ca, RunDirectory dir) throws IOException, InterruptedException {
        String pid = provider.providerId();
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        // Opening stores and binding three listeners per node adds up: start them side by side.
        Map<String, java.util.concurrent.Future<KmsAgent>> starting = new LinkedHashMap<>();
        java.util.concurrent.ExecutorService starter = Executors.newFixedThreadPool(4);
        try {
            for (Scenario.Node n : provider.nodes()) {
                String id = ScenarioIds.nodeId(pid, n.name());
                TlsFiles tls = dir.issueKms(ca, pid, n.name(), id);
                KmsAgentConfig cfg = new KmsAgentConfig(id, "kme-" + n.name(), dir.kmsDataDir(pid, n.name()), tls,
                        any, any, any, LANE_MAX_BITS);
                starting.put(n.name(), starter.submit(() -> KmsAgent.start(cfg)));
            }
            IOException failure = null;
            for (Map.Entry<String, java.util.concurrent.Future<KmsAgent>> e : starting.entrySet()) {
                try {
                    kms.put(e.getKey(), e.getValue().get());
                } catch (java.util.concurrent.ExecutionException x) {
                    if (failure == null) {
                        failure = new IOException("key manager of node " + e.getKey() + ": " + x.getCause().getMessage(),
                                x.getCause());
                    }
                }
            }
            if (failure != null) {
                throw failure;
            }
        } finally {
            starter.shutdown();
        }
        for (Scenario.Node n : provider.nodes()) {
            KmsAgent self = kms.get(n.name());
            for (Scenario.Node m : provider.nodes()) {
                if (m != n) {
                    self.addPeer(ScenarioIds.nodeId(pid, m.name()), "127.0.0.1:" + kms.get(m.name()).controlPort());
                }
            }
        }
        for (Scenario.Link l : provider.links()) {
            String linkId = ScenarioIds.linkId(pid, l.name());
            kms.get(l.a()).addNeighbor(new RelayNeighbor(ScenarioIds.nodeId(pid, l.b()), linkId, "127.0.0.1",
                    kms.get(l.b()).relayPort()));
            kms.get(l.b()).addNeighbor(new RelayNeighbor(ScenarioIds.nodeId(pid, l.a()), linkId, "127.0.0.1",
                    kms.get(l.a()).relayPort()));
        }
        StringBuilder endpoints = new StringBuilder();
        kms.forEach((node, k) -> endpoints.append(pid).append(' ').append(node).append(" https://127.0.0.1:")
                .append(k.etsi014Port()).append('\n'));
        java.nio.file.Files.writeString(dir.etsi014Endpoints(), endpoints,
                java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
    }

    /** The Kq address of a node's key manager, for its qkd-agent. */
    String kqTarget(String nodeName) {
        return "127.0.0.1:" + kms.get(nodeName).controlPort();
    }

    /** Registers every key manager with the provider's controller (Sk), which pinned routes go through. */
    void connectController(String target) {
        for (KmsAgent k : kms.values()) {
            k.connectController(target, SK_REPORT_INTERVAL);
        }
    }

    /**
     * Installs the scenario's key services through the controller, which sends the route to every
     * key manager on it over Sk and answers once all acknowledged, then starts their SAEs.
     */
    void startServices(DevCertificateAuthority ca, RunDirectory dir, KeyManagementAdminService controller,
                       KeyServiceManager keyServices) throws IOException, InterruptedException {
        this.keyServices = keyServices;
        awaitRegistered(controller);
        String pid = provider.providerId();
        Map<String, HttpClient> clients = new LinkedHashMap<>();
        for (Scenario.Sae s : provider.saesOrEmpty()) {
            TlsFiles tls = dir.issueSae(ca, pid, s.name());
            try {
                clients.put(s.name(), HttpClient.newBuilder().sslContext(JdkTls.clientContext(tls))
                        .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build());
            } catch (GeneralSecurityException e) {
                throw new IOException("SAE " + s.name() + ": cannot load its certificate: " + e.getMessage(), e);
            }
        }
        for (Scenario.KeyService ks : provider.keyServicesOrEmpty()) {
            Scenario.Sae m = provider.sae(ks.master());
            Scenario.Sae s = provider.sae(ks.slave());
            if (!ks.pinned()) {
                requestedIds.put(ks.name(), request(ks, m, s));
                startDriver(ks, m, s, clients);
                continue;
            }
            List<String> nodes = new ArrayList<>();
            List<String> links = new ArrayList<>();
            for (int i = 0; i < ks.route().size(); i++) {
                nodes.add(ScenarioIds.nodeId(pid, ks.route().get(i)));
                if (i > 0) {
                    links.add(ScenarioIds.linkId(pid, provider.linkBetween(ks.route().get(i - 1), ks.route().get(i))
                            .orElseThrow().name()));
                }
            }
            UUID serviceId = UUID.nameUUIDFromBytes(("qkdnf/key-service/" + pid + "/" + ks.name()).getBytes(
                    java.nio.charset.StandardCharsets.UTF_8));
            KeyRoute route = KeyRoute.newBuilder().setServiceId(serviceId.toString()).setMasterSaeId(ks.master())
                    .setSlaveSaeId(ks.slave()).addAllRouteQkdnIds(nodes).addAllRouteQkdlIds(links)
                    .setRateBps((long) (ks.effectiveKeysPerS() * SaePairDriver.KEY_BITS))
                    .setBufferBits(SERVICE_BUFFER_BITS).build();
            try {
                controller.installRoute(route, INSTALL_TIMEOUT).get(INSTALL_TIMEOUT.toSeconds() + 5, TimeUnit.SECONDS);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                throw new IOException("key service " + ks.name() + ": the controller could not install its route: "
                        + cause.getMessage(), cause);
            }
            startDriver(ks, m, s, clients);
            log.info("provider {}: key service {} ({} -> {}, {} hops, pinned)", pid, ks.name(), ks.master(), ks.slave(),
                    links.size());
        }
    }

    /** Starts the SAE pair of a service fetching keys at its rate. */
    private void startDriver(Scenario.KeyService ks, Scenario.Sae m, Scenario.Sae s, Map<String, HttpClient> clients) {
        SaePairDriver driver = new SaePairDriver(ks.name(), clients.get(m.name()), clients.get(s.name()),
                "https://localhost:" + kms.get(m.node()).etsi014Port(),
                "https://localhost:" + kms.get(s.node()).etsi014Port(), m.name(), s.name());
        drivers.put(ks.name(), driver);
        long periodMicros = (long) (1_000_000 / ks.effectiveKeysPerS());
        saes.scheduleAtFixedRate(driver::once, periodMicros, periodMicros, TimeUnit.MICROSECONDS);
    }

    /**
     * Asks the controller for a key service between the SAEs' nodes (it computes the route,
     * admits the rate and installs the route). The links' key rates reach the controller a moment
     * after the agents start, so a refusal is retried for a while.
     */
    private String request(Scenario.KeyService ks, Scenario.Sae m, Scenario.Sae s)
            throws IOException, InterruptedException {
        String pid = provider.providerId();
        KeyServiceSpec spec = KeyServiceSpec.newBuilder()
                .setMasterSaeId(m.name()).setMasterQkdnId(ScenarioIds.nodeId(pid, m.node()))
                .setSlaveSaeId(s.name()).setSlaveQkdnId(ScenarioIds.nodeId(pid, s.node()))
                .setQos(AppQos.newBuilder().setMinBandwidthBps(ks.effectiveRateBps()))
                .setProtection(Protection.valueOf("PROTECTION_" + ks.effectiveProtection()))
                .build();
        long deadline = System.nanoTime() + INSTALL_TIMEOUT.toNanos();
        while (true) {
            try {
                KeyService created = keyServices.create(spec).get(INSTALL_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                log.info("provider {}: key service {} requested: {} on {}", pid, ks.name(), created.getState(),
                        created.getRoutesCount() == 0 ? "no route" : created.getRoutes(0).getQkdnIdsList());
                return created.getServiceId();
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
                Throwable cause = e instanceof java.util.concurrent.ExecutionException ? e.getCause() : e;
                if (System.nanoTime() > deadline) {
                    throw new IOException("key service " + ks.name() + ": the controller refused it: "
                            + cause.getMessage(), cause);
                }
                log.info("provider {}: key service {} not admitted yet ({}); retrying", pid, ks.name(),
                        cause.getMessage());
                Thread.sleep(500);
            }
        }
    }

    /** The scenario's name of a requested service, once the controller has answered its request. */
    Optional<String> serviceName(String serviceId) {
        for (Map.Entry<String, String> e : requestedIds.entrySet()) {
            if (e.getValue().equals(serviceId)) {
                return Optional.of(e.getKey());
            }
        }
        return Optional.empty();
    }

    /** Waits until the controller sees every key manager of the provider connected over Sk. */
    private void awaitRegistered(KeyManagementAdminService controller) throws IOException, InterruptedException {
        long deadline = System.nanoTime() + INSTALL_TIMEOUT.toNanos();
        while (true) {
            long connected = controller.getKmNodes().stream().filter(KmNode::getConnected).count();
            if (connected >= kms.size()) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new IOException("only " + connected + " of " + kms.size()
                        + " key managers registered with the controller within " + INSTALL_TIMEOUT.toSeconds() + " s");
            }
            Thread.sleep(50);
        }
    }

    @Override
    public List<KeyServiceReport> keyServices() {
        Map<String, String> names = new java.util.HashMap<>();
        provider.nodes().forEach(n -> names.put(ScenarioIds.nodeId(provider.providerId(), n.name()), n.name()));
        List<KeyServiceReport> out = new ArrayList<>();
        for (Scenario.KeyService ks : provider.keyServicesOrEmpty()) {
            SaePairDriver d = drivers.get(ks.name());
            long keys = d == null ? 0 : d.keysDelivered.get();
            List<String> route = ks.pinned() ? List.copyOf(ks.route()) : List.of();
            String routing = ks.pinned() ? "PINNED" : ks.effectiveProtection();
            String state = ks.pinned() ? "ACTIVE" : "PENDING";
            List<String> protectionRoute = List.of();
            long reroutes = 0;
            // Pinned routes are the operator's decision: the controller installs them without admission.
            long reserved = 0;
            String id = requestedIds.get(ks.name());
            if (id != null && keyServices != null) {
                Optional<KeyService> s = keyServices.get(id);
                if (s.isPresent()) {
                    state = s.get().getState().name().substring("KEY_SERVICE_STATE_".length());
                    reroutes = s.get().getReroutes();
                    // Working route first, then a 1+1 service's disjoint route (KeyService.routes).
                    List<ServiceRoute> routes = s.get().getRoutesList();
                    route = routes.isEmpty() ? List.of() : names(routes.get(0), names);
                    protectionRoute = routes.size() < 2 ? List.of() : names(routes.get(1), names);
                    reserved = routes.isEmpty() ? 0 : ks.effectiveRateBps();
                }
            }
            out.add(new KeyServiceReport(ks.name(), ks.master(), ks.slave(), route, protectionRoute, routing, state,
                    reroutes, reserved,
                    d == null ? 0 : Math.round(d.deliveredBps() * 10) / 10.0,
                    d == null ? 0 : Math.round(d.interruptionS() * 1000) / 1000.0, keys,
                    keys * SaePairDriver.KEY_BITS, d == null ? 0 : d.mismatches.get(),
                    d == null ? 0 : d.failedRequests.get()));
        }
        return out;
    }

    private static List<String> names(ServiceRoute r, Map<String, String> nodeNames) {
        List<String> out = new ArrayList<>();
        r.getQkdnIdsList().forEach(n -> out.add(nodeNames.getOrDefault(n, n)));
        return out;
    }

    @Override
    public KeyManagementReport keyManagement() {
        String pid = provider.providerId();
        long relayed = 0;
        long auth = 0;
        long failures = 0;
        long trimmed = 0;
        for (KmsAgent k : kms.values()) {
            for (LinkRelayCounters c : k.relay().counters().values()) {
                relayed += c.bitsSent();
                auth += c.authBitsSent();
                failures += c.failures();
                trimmed += c.trimmedBits();
            }
        }
        List<PoolReport> pools = new ArrayList<>();
        for (Scenario.Link l : provider.links()) {
            String linkId = ScenarioIds.linkId(pid, l.name());
            for (String node : List.of(l.a(), l.b())) {
                long available = 0;
                long consumed = 0;
                for (String owner : List.of(l.a(), l.b())) {
                    try {
                        PoolLevels lv = kms.get(node).pools().levels(
                                LaneIds.of(linkId, ScenarioIds.nodeId(pid, owner)));
                        available += lv.availableBits();
                        consumed += lv.consumedBits() + lv.discardedBits();
                    } catch (RuntimeException e) {
                        // The lane appears once the node's agent has opened its key supply.
                    }
                }
                pools.add(new PoolReport(l.name(), node, available, consumed));
            }
        }
        return new KeyManagementReport(relayed, auth, failures, trimmed, pools);
    }

    @Override
    public void close() {
        saes.shutdownNow();
        for (KmsAgent k : kms.values()) {
            try {
                k.close();
            } catch (RuntimeException e) {
                log.warn("closing a key manager failed", e);
            }
        }
        kms.clear();
    }
}

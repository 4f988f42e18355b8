package org.qkdnf.agent.impl;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Server;
import io.grpc.Status;
import io.grpc.health.v1.HealthCheckResponse.ServingStatus;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.protobuf.services.HealthStatusManager;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.driver.KeyBlockSource;
import org.qkdnf.agent.driver.QkdModuleDriver;
import org.qkdnf.agent.etsi014.Etsi014Client;
import org.qkdnf.agent.etsi014.Etsi014DeviceDriver;
import org.qkdnf.agent.kq.KeySupplyClient;
import org.qkdnf.agent.kq.LinkKeySource;
import org.qkdnf.agent.sim.DecoyStateBb84;
import org.qkdnf.agent.sim.SimulatedQkdModule;
import org.qkdnf.common.concurrent.OrderlyShutdown;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.proto.southbound.v1.AgentCapabilities;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.Notification;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The SDN agent of one SD-QKD node: it reads the node's QKD modules, keeps one Sq stream to the
 * controller over mutual TLS, and re-establishes it with back-off whenever it breaks. On every new
 * stream it sends Hello and then its full inventory, so a restarted controller (or a controller
 * that lost the node) gets the whole picture at once. Performance goes out every report interval;
 * notifications go out as soon as the tick that notices them ({@value #TICK_MS} ms).
 *
 * <p>Threads: one loop thread owns all mutable state (modules, links, the stream, parameters);
 * gRPC callbacks and {@link #close()} hand their work to it. {@link #isConnected()} and
 * {@link #keys(String)} may be called from any thread.
 */
public final class QkdAgent implements AutoCloseable {

    /** How often modules are read for status changes and alarms, ms. */
    static final long TICK_MS = 50;
    static final String SERVICE = QuantumLayerServiceGrpc.SERVICE_NAME;
    private static final Logger log = LoggerFactory.getLogger(QkdAgent.class);

    private final AgentConfig config;
    private final Clock clock;
    private final String instanceId = UUID.randomUUID().toString();
    private final ScheduledExecutorService loop;
    private final ManagedChannel channel;
    private final HealthStatusManager health = new HealthStatusManager();

    // Loop thread only.
    private final NodeInventory inventory;
    private final AlarmMonitor alarms;
    private final CommandExecutor commands;
    private final Backoff backoff = new Backoff(Duration.ofMillis(250), Duration.ofSeconds(5), 1.6, 0.2);
    private Session session;
    private ScheduledFuture<?> reportTask;
    private int reportIntervalMs;
    private boolean stopping;

    private volatile boolean connected;
    private volatile Server healthServer;
    private volatile KeySupplyClient keySupply;

    private QkdAgent(AgentConfig config, Clock clock) {
        this.config = config;
        this.clock = clock;
        this.reportIntervalMs = config.reportIntervalMs();
        this.inventory = new NodeInventory(config.node());
        this.alarms = new AlarmMonitor(config.qberAlarmThreshold());
        this.commands = new CommandExecutor(inventory, new CommandEffects());
        this.loop = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "qkd-agent-" + config.node().name());
            t.setDaemon(true);
            return t;
        });
        this.channel = Grpc.newChannelBuilder(config.controllerTarget(), GrpcTls.channelCredentials(config.tls()))
                .build();
    }

    /**
     * Starts the agent: simulated modules from {@code config}, the health service if configured,
     * and the first connection attempt. Returns at once; the connection is made in the background.
     */
    public static QkdAgent start(AgentConfig config, Clock clock) throws IOException {
        QkdAgent agent = new QkdAgent(config, clock);
        Instant now = clock.instant();
        Instant epoch = config.scheduleEpoch() != null ? config.scheduleEpoch() : now;
        DecoyStateBb84 model = new DecoyStateBb84();
        try {
            for (AgentConfig.Module m : config.modules()) {
                QkdModuleDriver driver = m.isDevice() ? deviceDriver(m, config)
                        : new SimulatedQkdModule(m.role(), m.channel(), m.schedule(), epoch, m.keySeed(),
                                m.keyBlockBits(), model);
                agent.inventory.add(m, driver);
            }
            agent.startHealth();
            agent.loop.submit(() -> agent.begin(now)).get();
            if (config.kmsTarget() != null) {
                agent.keySupply = new KeySupplyClient(config.node().qkdnId(), config.kmsTarget(),
                        GrpcTls.channelCredentials(config.tls()), agent::linkKeySources);
                agent.keySupply.start();
            }
        } catch (IOException | RuntimeException e) {
            agent.close();
            throw e;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            agent.close();
            throw new IOException("interrupted while starting", e);
        } catch (java.util.concurrent.ExecutionException e) {
            agent.close();
            throw new IllegalStateException("agent failed to start", e.getCause());
        }
        return agent;
    }

    /** A vendor device behind its ETSI GS QKD 014 interface (see {@link Etsi014DeviceDriver}). */
    private static QkdModuleDriver deviceDriver(AgentConfig.Module m, AgentConfig config) throws IOException {
        AgentConfig.Device d = m.device();
        return Etsi014DeviceDriver.start(new Etsi014DeviceDriver.Settings(m.role(), m.qkdiId(), m.remoteQkdnId(),
                Etsi014Client.create(d.url(), d.tls()), d.url().getHost() + ":" + d.url().getPort(), d.peerSaeId(),
                m.keyBlockBits(), d.maxBufferedBlocks(), d.keyIdListen(), d.keyIdTarget(), config.tls(), d.journalDir()));
    }

    /** The driver of module {@code qkdiId}, for tests and tools. */
    public Optional<QkdModuleDriver> driver(String qkdiId) {
        try {
            return loop.submit(() -> inventory.module(qkdiId).map(s -> s.driver)).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                 | java.util.concurrent.RejectedExecutionException e) {
            return Optional.empty();
        }
    }

    private void startHealth() throws IOException {
        InetSocketAddress address = config.health();
        if (address == null) {
            return;
        }
        health.setStatus("", ServingStatus.SERVING);
        health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
        healthServer = NettyServerBuilder.forAddress(address, GrpcTls.serverCredentials(config.tls()))
                .addService(health.getHealthService())
                .build()
                .start();
        log.info("node {}: health service on {}:{}", config.node().name(), address.getHostString(),
                healthServer.getPort());
    }

    /** The health server's port, or -1 when there is none. */
    public int healthPort() {
        Server s = healthServer;
        return s == null ? -1 : s.getPort();
    }

    /** Whether the controller has acknowledged the current stream. */
    public boolean isConnected() {
        return connected;
    }

    /** The key blocks of link {@code qkdlId}, for the node's key manager. */
    public Optional<KeyBlockSource> keys(String qkdlId) {
        try {
            return loop.submit(() -> inventory.byLink(qkdlId).map(s -> s.driver.keys())).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.empty();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.RejectedExecutionException e) {
            return Optional.empty();
        }
    }

    /** The node's links and their key blocks, for the key supply. */
    public List<LinkKeySource> linkKeySources() {
        try {
            return loop.submit(() -> {
                List<LinkKeySource> out = new java.util.ArrayList<>();
                for (ModuleSlot s : inventory.modules()) {
                    if (s.hasLink()) {
                        boolean tx = s.config.role() == org.qkdnf.proto.southbound.v1.PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER;
                        String local = config.node().qkdnId();
                        out.add(new LinkKeySource(s.qkdlId, tx ? local : s.config.remoteQkdnId(),
                                tx ? s.config.remoteQkdnId() : local, s.driver.keys()));
                    }
                }
                return out;
            }).get(5, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException
                 | java.util.concurrent.RejectedExecutionException e) {
            return List.of();
        }
    }

    /** Key blocks the node's key manager has acknowledged, or -1 without a key manager. */
    public long keyBlocksAcknowledged() {
        KeySupplyClient k = keySupply;
        return k == null ? -1 : k.blocksAcknowledged();
    }

    public String qkdnId() {
        return config.node().qkdnId();
    }

    // ---------------------------------------------------------------------------------------------
    // Loop thread
    // ---------------------------------------------------------------------------------------------

    private void begin(Instant now) {
        for (AgentConfig.Module m : config.modules()) {
            if (m.link() != null) {
                inventory.module(m.qkdiId()).orElseThrow().attach(m.link().qkdlId(), m.link().enabled(), now);
            }
        }
        loop.scheduleAtFixedRate(guarded(this::tick), TICK_MS, TICK_MS, TimeUnit.MILLISECONDS);
        connect();
    }

    private Runnable guarded(Runnable r) {
        return () -> {
            try {
                r.run();
            } catch (RuntimeException e) {
                // A scheduled task that throws is never run again: log and carry on instead.
                log.error("node {}: internal error in agent loop", config.node().name(), e);
            }
        };
    }

    private void connect() {
        if (stopping) {
            return;
        }
        // Our back-off governs retries; the channel's own (up to 2 min) must not stretch them.
        channel.resetConnectBackoff();
        Session s = new Session();
        session = s;
        QuantumLayerServiceGrpc.newStub(channel).connect(s);
        Instant now = clock.instant();
        inventory.readAll(now);
        s.send(ConnectRequest.newBuilder().setHello(Hello.newBuilder()
                .setQkdnId(config.node().qkdnId())
                .setAgentVersion(NodeInventory.AGENT_VERSION)
                .setAgentInstanceId(instanceId)
                .setCapabilities(AgentCapabilities.newBuilder().setLinkCreateSupport(true).setLinkModifySupport(true)
                        .setLinkDeleteSupport(true).setDriver(driverName()))));
        s.send(ConnectRequest.newBuilder().setInventory(Inventory.newBuilder().setQkdNode(inventory.qkdNode(now))));
    }

    /** The capabilities' driver name: the simulated one, the device one, or both. */
    private String driverName() {
        boolean device = config.modules().stream().anyMatch(AgentConfig.Module::isDevice);
        boolean simulated = config.modules().stream().anyMatch(m -> !m.isDevice());
        return device && simulated ? "simulated-bb84-decoy+etsi014-device" : device ? "etsi014-device"
                : "simulated-bb84-decoy";
    }

    private void tick() {
        Instant now = clock.instant();
        inventory.readAll(now);
        for (ModuleSlot slot : inventory.modules()) {
            if (!slot.hasLink()) {
                continue;
            }
            List<Notification> raised = alarms.check(slot, inventory, now);
            for (Notification n : raised) {
                log.info("node {}: link {} {} {}: {}", config.node().name(), n.getQkdlId(), n.getType(),
                        n.getSeverity(), n.getDescription());
                if (session != null) {
                    // While disconnected nothing is queued: the inventory sent on reconnection
                    // carries every link's status as it is then.
                    session.send(ConnectRequest.newBuilder().setNotification(n));
                }
            }
        }
    }

    private void report() {
        if (session == null || !session.acknowledged) {
            return;
        }
        Instant now = clock.instant();
        inventory.readAll(now);
        if (!session.out.isReady()) {
            // The controller is not keeping up: skip this report rather than queue stale ones;
            // the next report measures skr over the longer interval.
            return;
        }
        session.send(ConnectRequest.newBuilder().setPerformanceReport(inventory.performanceReport(now)));
    }

    private void scheduleReports() {
        if (reportTask != null) {
            reportTask.cancel(false);
        }
        reportTask = loop.scheduleAtFixedRate(guarded(this::report), reportIntervalMs, reportIntervalMs,
                TimeUnit.MILLISECONDS);
    }

    private void onResponse(Session s, ConnectResponse response) {
        if (s != session) {
            return;
        }
        switch (response.getMessageCase()) {
            case HELLO_ACK:
                s.acknowledged = true;
                connected = true;
                backoff.reset();
                health.setStatus(SERVICE, ServingStatus.SERVING);
                int asked = response.getHelloAck().getReportIntervalMs();
                if (asked != 0) {
                    try {
                        AgentConfig.checkReportInterval(asked, "hello_ack.report_interval_ms");
                        reportIntervalMs = asked;
                    } catch (IllegalArgumentException e) {
                        log.warn("node {}: ignoring controller's {}", config.node().name(), e.getMessage());
                    }
                }
                scheduleReports();
                log.info("node {}: connected to controller {} ({}), reporting every {} ms", config.node().name(),
                        response.getHelloAck().getControllerId(), config.controllerTarget(), reportIntervalMs);
                break;
            case COMMAND:
                Optional<CommandResult> result = commands.execute(response.getCommand(), clock.instant());
                if (result.isEmpty()) {
                    log.warn("node {}: command without a valid request_id ignored", config.node().name());
                    return;
                }
                log.info("node {}: command {} {} -> {} {}", config.node().name(), response.getCommand().getRequestId(),
                        response.getCommand().getCommandCase(), Status.fromCodeValue(
                                result.get().getResult().getCode()).getCode(), result.get().getResult().getMessage());
                s.send(ConnectRequest.newBuilder().setCommandResult(result.get()));
                break;
            default:
                log.warn("node {}: unknown message from controller: {}", config.node().name(),
                        response.getMessageCase());
        }
    }

    private void onEnded(Session s, Status status) {
        if (s != session) {
            return;
        }
        session = null;
        connected = false;
        health.setStatus(SERVICE, ServingStatus.NOT_SERVING);
        if (reportTask != null) {
            reportTask.cancel(false);
            reportTask = null;
        }
        if (stopping) {
            return;
        }
        long delay = backoff.nextDelayMs();
        if (status.getCode() == Status.Code.PERMISSION_DENIED || status.getCode() == Status.Code.INVALID_ARGUMENT
                || status.getCode() == Status.Code.UNAUTHENTICATED) {
            log.error("node {}: controller refused the stream: {} {}; retrying in {} ms", config.node().name(),
                    status.getCode(), status.getDescription(), delay);
        } else {
            log.info("node {}: stream to controller ended ({} {}); reconnecting in {} ms", config.node().name(),
                    status.getCode(), status.getDescription() == null ? "" : status.getDescription(), delay);
        }
        loop.schedule(guarded(this::connect), delay, TimeUnit.MILLISECONDS);
    }

    /** Stops reporting, ends the stream cleanly, and releases the channel and health server. Idempotent. */
    @Override
    public void close() {
        KeySupplyClient k = keySupply;
        if (k != null) {
            k.close();
        }
        try {
            loop.submit(() -> {
                stopping = true;
                if (session != null) {
                    session.out.onCompleted();
                    session = null;
                }
                connected = false;
            }).get(5, TimeUnit.SECONDS);
        } catch (Exception e) {
            log.debug("agent loop already stopped", e);
        }
        // Not interrupted first: the loop acknowledges device key into a driver's journal (a file).
        OrderlyShutdown.stop(loop, Duration.ofSeconds(5));
        // Drivers with threads or servers of their own (a device driver's key_ID service).
        for (ModuleSlot slot : inventory.modules()) {
            if (slot.driver instanceof AutoCloseable) {
                try {
                    ((AutoCloseable) slot.driver).close();
                } catch (Exception e) {
                    log.warn("node {}: closing the driver of module {} failed", config.node().name(),
                            slot.config.qkdiId(), e);
                }
            }
        }
        channel.shutdown();
        Server s = healthServer;
        if (s != null) {
            s.shutdown();
        }
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
            if (s != null && !s.awaitTermination(5, TimeUnit.SECONDS)) {
                s.shutdownNow();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            channel.shutdownNow();
        }
    }

    /** One Sq stream. Callbacks arrive on gRPC threads and are handed to the loop. */
    private final class Session implements ClientResponseObserver<ConnectRequest, ConnectResponse> {
        ClientCallStreamObserver<ConnectRequest> out;
        long seq;
        boolean acknowledged;

        @Override
        public void beforeStart(ClientCallStreamObserver<ConnectRequest> requestStream) {
            out = requestStream;
        }

        void send(ConnectRequest.Builder message) {
            out.onNext(message.setSeq(++seq).build());
        }

        @Override
        public void onNext(ConnectResponse value) {
            execute(() -> onResponse(this, value));
        }

        @Override
        public void onError(Throwable t) {
            Status status = Status.fromThrowable(t);
            execute(() -> onEnded(this, status));
        }

        @Override
        public void onCompleted() {
            execute(() -> onEnded(this, Status.UNAVAILABLE.withDescription("controller ended the stream")));
        }

        private void execute(Runnable r) {
            try {
                loop.execute(guarded(r));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                // The agent is closing.
            }
        }
    }

    /** Applies what a command changed. Loop thread. */
    private final class CommandEffects implements CommandExecutor.Effects {
        @Override
        public void inventoryChanged() {
            if (session != null) {
                session.send(ConnectRequest.newBuilder().setInventory(Inventory.newBuilder()
                        .setQkdNode(inventory.qkdNode(clock.instant()))));
            }
        }

        @Override
        public void linkRemoved(String qkdlId) {
            alarms.forget(qkdlId);
        }

        @Override
        public void reportIntervalChanged(int ms) {
            reportIntervalMs = ms;
            if (reportTask != null) {
                scheduleReports();
            }
        }

        @Override
        public void qberThresholdChanged(double threshold) {
            alarms.setQberThreshold(threshold);
        }
    }
}

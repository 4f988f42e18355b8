package org.qkdnf.testbed.run;

import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.testbed.report.KeyManagementView;
import org.qkdnf.testbed.report.ReportBuilder;
import org.qkdnf.testbed.report.TestbedReport;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioIds;
import org.qkdnf.testbed.view.StatusChangeLog;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One running scenario: per provider a development CA, a {@link StandaloneController} on an
 * ephemeral loopback port with mTLS and its store in the run directory, a key manager per node
 * (its stores in the run directory too), one qkd-agent per node dialling the controller and its
 * node's key manager over mTLS with the node's own certificate, and the scenario's key services
 * with their SAEs fetching key over ETSI GS QKD 014. Everything runs in this JVM, but every
 * agent talks to its controller through a real TLS connection on 127.0.0.1.
 *
 * <p>Threads: started and closed by one thread (the CLI's main thread or a test); {@link #snapshot}
 * and {@link #awaitConverged} may be called from any thread.
 */
public final class TestbedRun implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(TestbedRun.class);
    private static final int RECENT_CHANGES = 32;

    private final Scenario scenario;
    private final RunDirectory dir;
    private final Map<String, ProviderRuntime> providers = new LinkedHashMap<>();
    /** Signalled on every topology event, so waiters re-check their condition. */
    private final Object changed = new Object();
    private Instant startedAt;
    private boolean closed;

    private TestbedRun(Scenario scenario, RunDirectory dir) {
        this.scenario = scenario;
        this.dir = dir;
    }

    /**
     * Issues the certificates, starts the controllers, then the agents. On failure everything
     * already started is closed again.
     */
    public static TestbedRun start(Scenario scenario, RunDirectory dir) throws IOException {
        TestbedRun run = new TestbedRun(scenario, dir);
        try {
            run.startAll();
            return run;
        } catch (IOException | RuntimeException e) {
            run.close();
            throw e;
        }
    }

    private void startAll() throws IOException {
        // Controllers first, so the agents find something to dial.
        for (Scenario.Provider p : scenario.providers()) {
            DevCertificateAuthority ca = dir.createCa(p.providerId());
            TlsFiles controllerTls = dir.issueController(ca, p.providerId());
            StandaloneControllerConfig.Builder cfg = StandaloneControllerConfig.builder()
                    .sqHost("127.0.0.1").sqPort(0)
                    .tls(controllerTls)
                    .dataDir(dir.controllerDataDir(p.providerId()))
                    .controllerId("controller." + p.providerId());
            if (p.qberDegradedThreshold() != null) {
                cfg.qberDegradedThreshold(p.qberDegradedThreshold());
            }
            StandaloneController controller = StandaloneController.start(cfg.build());
            Map<String, String> linkNames = new HashMap<>();
            p.links().forEach(l -> linkNames.put(ScenarioIds.linkId(p.providerId(), l.name()), l.name()));
            StatusChangeLog statusLog = new StatusChangeLog(p.providerId(), linkNames, RECENT_CHANGES);
            ProviderRuntime rt = new ProviderRuntime(p, ca, controller, statusLog);
            try {
                rt.keyManagement = KeyManagementRuntime.start(p, ca, dir);
                rt.keyManagement.connectController("127.0.0.1:" + controller.sqPort());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while starting the key managers", e);
            }
            providers.put(p.providerId(), rt);
            controller.topologyService().addListener(statusLog);
            Map<String, String> nodeNames = new HashMap<>();
            p.nodes().forEach(n -> nodeNames.put(ScenarioIds.nodeId(p.providerId(), n.name()), n.name()));
            controller.keyServiceManager().addListener(new ServiceMoveFeed(p.providerId(), statusLog,
                    rt.keyManagement::serviceName, nodeNames, java.time.Clock.systemUTC()));
            controller.topologyService().addListener(rt.wakeUp);
            log.info("provider {}: controller listening on 127.0.0.1:{}", p.providerId(), controller.sqPort());
        }
        startedAt = Instant.now();
        for (ProviderRuntime rt : providers.values()) {
            rt.agents.addAll(AgentLauncher.startAgents(scenario, rt.provider, rt.ca, dir,
                    "127.0.0.1:" + rt.controller.sqPort(), startedAt, rt.keyManagement::kqTarget));
            log.info("provider {}: {} agents started", rt.provider.providerId(), rt.agents.size());
            try {
                rt.keyManagement.startServices(rt.ca, dir, rt.controller.keyManagementService(),
                        rt.controller.keyServiceManager());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IOException("interrupted while installing the key services", e);
            }
        }
    }

    /** When the agents were started: t = 0 of the scenario's events and of the report's duration. */
    public Instant startedAt() {
        return startedAt;
    }

    public Scenario scenario() {
        return scenario;
    }

    public RunDirectory directory() {
        return dir;
    }

    /** The controller of a provider (tests, tools). */
    public StandaloneController controller(String providerId) {
        ProviderRuntime rt = providers.get(providerId);
        if (rt == null) {
            throw new IllegalArgumentException("no provider " + providerId);
        }
        return rt.controller;
    }

    /** Status-change logs, one per provider, for the live view. */
    public List<StatusChangeLog> statusLogs() {
        List<StatusChangeLog> logs = new ArrayList<>();
        providers.values().forEach(rt -> logs.add(rt.statusLog));
        return logs;
    }

    /** What the controllers see now. */
    public TestbedReport snapshot() {
        Map<String, QkdTopologyService> topologies = new HashMap<>();
        Map<String, KeyManagementView> keyManagement = new HashMap<>();
        providers.forEach((id, rt) -> {
            topologies.put(id, rt.controller.topologyService());
            if (rt.keyManagement != null) {
                keyManagement.put(id, rt.keyManagement);
            }
        });
        return ReportBuilder.build(scenario, topologies, keyManagement, startedAt, Instant.now());
    }

    /**
     * Waits until every controller sees all its scenario's nodes connected and every scenario link
     * reported by both ends, out of PENDING, with performance figures.
     *
     * @return whether that happened within {@code timeout}
     */
    public boolean awaitConverged(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        synchronized (changed) {
            while (!converged()) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return false;
                }
                // Woken by every topology event; the bound only guards against a missed wake-up.
                changed.wait(Math.min(Math.max(1, left / 1_000_000), 500));
            }
        }
        return true;
    }

    private boolean converged() {
        for (ProviderRuntime rt : providers.values()) {
            QkdTopologyService t = rt.controller.topologyService();
            String pid = rt.provider.providerId();
            for (Scenario.Node n : rt.provider.nodes()) {
                if (!t.getNode(ScenarioIds.nodeId(pid, n.name())).map(i -> i.agentConnected()).orElse(false)) {
                    return false;
                }
            }
            for (Scenario.Link l : rt.provider.links()) {
                QkdLinkInfo info = t.getLink(ScenarioIds.linkId(pid, l.name())).orElse(null);
                if (info == null || info.reportCount() < 2 || info.status() == QkdlStatus.QKDL_STATUS_PENDING
                        || !info.hasPerformance()) {
                    return false;
                }
            }
        }
        return true;
    }

    /** Agents first (their streams end cleanly), then controllers. Idempotent, bounded. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (ProviderRuntime rt : providers.values()) {
            AgentLauncher.closeAll(rt.agents);
        }
        for (ProviderRuntime rt : providers.values()) {
            if (rt.keyManagement != null) {
                rt.keyManagement.close();
            }
        }
        for (ProviderRuntime rt : providers.values()) {
            rt.controller.topologyService().removeListener(rt.statusLog);
            rt.controller.topologyService().removeListener(rt.wakeUp);
            rt.controller.close();
        }
        log.info("testbed run stopped");
    }

    /** One provider's running parts. */
    private final class ProviderRuntime {
        final Scenario.Provider provider;
        final DevCertificateAuthority ca;
        final StandaloneController controller;
        final StatusChangeLog statusLog;
        final List<AutoCloseable> agents = new ArrayList<>();
        KeyManagementRuntime keyManagement;
        final QkdTopologyListener wakeUp = event -> {
            synchronized (changed) {
                changed.notifyAll();
            }
        };

        ProviderRuntime(Scenario.Provider provider, DevCertificateAuthority ca, StandaloneController controller,
                        StatusChangeLog statusLog) {
            this.provider = provider;
            this.ca = ca;
            this.controller = controller;
            this.statusLog = statusLog;
        }
    }
}

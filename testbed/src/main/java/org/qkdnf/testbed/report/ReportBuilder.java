package org.qkdnf.testbed.report;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.proto.common.v1.GeoLocation;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.testbed.report.TestbedReport.LinkReport;
import org.qkdnf.testbed.report.TestbedReport.LocationReport;
import org.qkdnf.testbed.report.TestbedReport.NodeReport;
import org.qkdnf.testbed.report.TestbedReport.ProviderReport;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioIds;

/**
 * Builds a {@link TestbedReport} from each provider's controller topology: statuses and figures
 * are what the controller holds, never what the agents were configured with. The scenario only
 * supplies names (the controller knows ids) and the order of rows. Stateless.
 */
public final class ReportBuilder {

    /** Status of a node or link the controller does not know. */
    public static final String UNKNOWN = "UNKNOWN";

    private ReportBuilder() {
    }

    /**
     * @param topologies one topology per provider, keyed by provider id
     */
    public static TestbedReport build(Scenario scenario, Map<String, QkdTopologyService> topologies,
                                      Instant startedAt, Instant now) {
        return build(scenario, topologies, Map.of(), startedAt, now);
    }

    /**
     * @param topologies    one topology per provider, keyed by provider id
     * @param keyManagement what the providers' key managers and SAEs saw (providers without are
     *                      reported with no key services and {@code key_management} null)
     */
    public static TestbedReport build(Scenario scenario, Map<String, QkdTopologyService> topologies,
                                      Map<String, KeyManagementView> keyManagement, Instant startedAt, Instant now) {
        List<ProviderReport> providers = new ArrayList<>();
        for (Scenario.Provider p : scenario.providers()) {
            QkdTopologyService topology = topologies.get(p.providerId());
            if (topology == null) {
                throw new IllegalArgumentException("no topology for provider " + p.providerId());
            }
            ProviderReport base = provider(p, topology);
            KeyManagementView km = keyManagement.get(p.providerId());
            providers.add(km == null ? base : new ProviderReport(base.providerId(), base.nodes(), base.links(),
                    km.keyServices(), km.keyManagement()));
        }
        double duration = Duration.between(startedAt, now).toMillis() / 1000.0;
        return new TestbedReport(TestbedReport.SCHEMA_VERSION, scenario.name(), startedAt, duration,
                List.copyOf(providers));
    }

    static ProviderReport provider(Scenario.Provider p, QkdTopologyService topology) {
        String pid = p.providerId();
        Map<String, String> nodeNames = new HashMap<>();
        List<NodeReport> nodes = new ArrayList<>();
        for (Scenario.Node n : p.nodes()) {
            String id = ScenarioIds.nodeId(pid, n.name());
            nodeNames.put(id, n.name());
            Optional<QkdNodeInfo> info = topology.getNode(id);
            nodes.add(info.map(i -> new NodeReport(n.name(), id, location(i.node().getQkdnLocation()),
                            i.node().getQkdnStatus().name().replace("QKDN_STATUS_", ""), i.agentConnected()))
                    .orElseGet(() -> new NodeReport(n.name(), id, null, UNKNOWN, false)));
        }
        List<LinkReport> links = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        for (Scenario.Link l : p.links()) {
            String id = ScenarioIds.linkId(pid, l.name());
            seen.add(id);
            links.add(topology.getLink(id).map(i -> link(l.name(), i, nodeNames))
                    .orElseGet(() -> new LinkReport(l.name(), id, l.a(), l.b(), null, UNKNOWN, false, null, null,
                            null, null)));
        }
        // Links the controller holds but the scenario does not name (for example left in a reused
        // run directory's store): reported, so the report never hides what the controller sees.
        topology.getLinks().stream()
                .filter(i -> !seen.contains(i.qkdlId()))
                .sorted((x, y) -> x.qkdlId().compareTo(y.qkdlId()))
                .forEach(i -> links.add(link(null, i, nodeNames)));
        return new ProviderReport(pid, List.copyOf(nodes), List.copyOf(links), List.of(), null);
    }

    private static LinkReport link(String name, QkdLinkInfo info, Map<String, String> nodeNames) {
        QkdLink link = info.link();
        String tx = link.getQkdlLocal().getQkdnId();
        String rx = link.getQkdlRemote().getQkdnId();
        if (link.getPhysQkdRole() == org.qkdnf.proto.southbound.v1.PhysQkdRole.PHYS_QKD_ROLE_RECEIVER) {
            String t = tx;
            tx = rx;
            rx = t;
        }
        boolean perf = info.hasPerformance();
        return new LinkReport(name, info.qkdlId(), nodeNames.getOrDefault(tx, tx), nodeNames.getOrDefault(rx, rx),
                link.getLengthKm() > 0 ? link.getLengthKm() : null,
                info.status().name().replace("QKDL_STATUS_", ""), info.degraded(),
                perf ? info.skrBps() : null, perf ? info.qber() : null, perf ? info.keyVolumeBits() : null,
                perf ? info.measuredAt() : null);
    }

    private static LocationReport location(GeoLocation g) {
        return new LocationReport(g.getLatitudeDeg(), g.getLongitudeDeg(), g.getRegion());
    }
}

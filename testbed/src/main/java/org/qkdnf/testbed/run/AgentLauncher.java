package org.qkdnf.testbed.run;

import java.io.IOException;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreEvent;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.proto.common.v1.GeoLocation;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioIds;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns a provider's scenario into running qkd-agents: one per node, with one simulated module
 * per link end (node {@code a} transmits, node {@code b} receives), both ends of a link sharing a
 * fresh random key seed and the same fault schedule, timed from the same epoch.
 */
final class AgentLauncher {

    private static final Logger log = LoggerFactory.getLogger(AgentLauncher.class);

    private AgentLauncher() {
    }

    static List<AutoCloseable> startAgents(Scenario scenario, Scenario.Provider provider, DevCertificateAuthority ca,
                                           RunDirectory dir, String controllerTarget, Instant epoch,
                                           java.util.function.Function<String, String> kqTargetOfNode)
            throws IOException {
        String pid = provider.providerId();
        Map<String, KeySeed> seeds = new HashMap<>();
        provider.links().forEach(l -> seeds.put(l.name(), KeySeed.random()));
        List<AutoCloseable> agents = new ArrayList<>();
        try {
            for (Scenario.Node n : provider.nodes()) {
                String qkdnId = ScenarioIds.nodeId(pid, n.name());
                TlsFiles tls = dir.issueNode(ca, pid, n.name(), qkdnId);
                List<AgentConfig.Module> modules = new ArrayList<>();
                for (Scenario.Link l : provider.links()) {
                    boolean transmitter = l.a().equals(n.name());
                    if (!transmitter && !l.b().equals(n.name())) {
                        continue;
                    }
                    String far = transmitter ? l.b() : l.a();
                    modules.add(new AgentConfig.Module(
                            ScenarioIds.interfaceId(pid, n.name(), l.name()),
                            transmitter ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER : PhysQkdRole.PHYS_QKD_ROLE_RECEIVER,
                            ScenarioIds.nodeId(pid, far),
                            ScenarioIds.interfaceId(pid, far, l.name()),
                            channel(provider, l), schedule(l), seeds.get(l.name()),
                            AgentConfig.DEFAULT_KEY_BLOCK_BITS,
                            new AgentConfig.Link(ScenarioIds.linkId(pid, l.name()), true)));
                }
                Scenario.Location loc = n.location();
                GeoLocation location = GeoLocation.newBuilder().setLatitudeDeg(loc.latitudeDeg())
                        .setLongitudeDeg(loc.longitudeDeg()).setRegion(loc.region() == null ? "" : loc.region())
                        .build();
                AgentConfig cfg = new AgentConfig(new AgentConfig.Node(qkdnId, n.name(), location), controllerTarget,
                        tls, scenario.effectiveReportIntervalMs(), AgentConfig.DEFAULT_QBER_ALARM_THRESHOLD, null,
                        epoch, modules, kqTargetOfNode.apply(n.name()));
                agents.add(QkdAgent.start(cfg, Clock.systemUTC()));
            }
        } catch (IOException | RuntimeException e) {
            closeAll(agents);
            throw e;
        }
        return agents;
    }

    private static ChannelParameters channel(Scenario.Provider provider, Scenario.Link l) {
        Scenario.LinkParameters p = provider.parameters(l);
        return new ChannelParameters(l.lengthKm(), p.lossDbPerKm(), p.detectorEfficiency(), p.darkCountProbability(),
                p.misalignmentError(), p.pulseRateHz());
    }

    private static FibreSchedule schedule(Scenario.Link l) {
        List<FibreEvent> events = new ArrayList<>();
        for (Scenario.LinkEvent e : l.eventsOrEmpty()) {
            events.add(new FibreEvent(e.atS(), FibreEvent.Type.valueOf(e.type().name()),
                    e.extraLossDbPerHour() == null ? 0 : e.extraLossDbPerHour()));
        }
        return new FibreSchedule(events);
    }

    static void closeAll(List<AutoCloseable> agents) {
        for (AutoCloseable a : agents) {
            try {
                a.close();
            } catch (Exception e) {
                log.warn("closing an agent failed", e);
            }
        }
        agents.clear();
    }
}

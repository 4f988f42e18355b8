package org.qkdnf.controller.app.provider;

import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.onosproject.cluster.ClusterService;
import org.onosproject.cluster.LeadershipEvent;
import org.onosproject.cluster.LeadershipEventListener;
import org.onosproject.cluster.LeadershipService;
import org.onosproject.cluster.NodeId;
import org.onosproject.net.device.DeviceAdminService;
import org.onosproject.net.device.DeviceProviderRegistry;
import org.onosproject.net.link.LinkProviderRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Publishes the QKD topology into ONOS's own through {@link QkdDeviceProvider} and
 * {@link QkdLinkProvider}, following the topology's structural events, so ONOS's topology views
 * and path services see the QKD network. Every instance sees every structural event (they come
 * from the cluster's maps), so one instance publishes: the leader of {@value #TOPIC}; a new leader
 * publishes everything once. Performance reports are not published (they are the hot path);
 * a link's SKR annotation is refreshed with its next structural change.
 *
 * <p>Threads: topology and leadership listeners hand over to the {@code qkdnf-topology-provider}
 * thread, which alone publishes and owns {@code leader}.
 */
@Component(immediate = true)
public class QkdTopologyPublisher {

    /** The leadership topic whose leader publishes. */
    public static final String TOPIC = "org.qkdnf.topology-provider";

    private static final Logger log = LoggerFactory.getLogger(QkdTopologyPublisher.class);

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected DeviceProviderRegistry deviceProviderRegistry;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected LinkProviderRegistry linkProviderRegistry;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected DeviceAdminService deviceAdminService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected QkdTopologyService topology;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected LeadershipService leadershipService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ClusterService clusterService;

    private QkdDeviceProvider devices;
    private QkdLinkProvider links;
    private NodeId localNode;
    private ExecutorService thread;
    private boolean leader;
    /**
     * Nodes whose device this instance gave ONOS while leading. Publishing thread only. A link is
     * given only once both its devices are: the topology's node and link events may reach this
     * thread in either order (they come from different maps of the cluster store).
     */
    private final java.util.Set<String> devicesGiven = new java.util.HashSet<>();
    private final QkdTopologyListener topologyListener = this::topologyChanged;
    private final LeadershipEventListener leadershipListener = this::leadershipChanged;

    @Activate
    protected void activate() {
        localNode = clusterService.getLocalNode().id();
        devices = new QkdDeviceProvider(topology, deviceAdminService);
        links = new QkdLinkProvider();
        devices.attach(deviceProviderRegistry.register(devices));
        links.attach(linkProviderRegistry.register(links));
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qkdnf-topology-provider");
            t.setDaemon(true);
            return t;
        });
        topology.addListener(topologyListener);
        leadershipService.addListener(leadershipListener);
        leadershipService.runForLeadership(TOPIC);
        thread.execute(this::checkLeadership);
        log.info("Started");
    }

    @Deactivate
    protected void deactivate() {
        topology.removeListener(topologyListener);
        leadershipService.removeListener(leadershipListener);
        leadershipService.withdraw(TOPIC);
        thread.shutdownNow();
        deviceProviderRegistry.unregister(devices);
        linkProviderRegistry.unregister(links);
        log.info("Stopped");
    }

    private void leadershipChanged(LeadershipEvent event) {
        if (TOPIC.equals(event.subject().topic())) {
            thread.execute(this::checkLeadership);
        }
    }

    /** Publishing thread only. */
    private void checkLeadership() {
        boolean now = localNode.equals(leadershipService.getLeader(TOPIC));
        if (now && !leader) {
            for (QkdNodeInfo n : topology.getNodes()) {
                publishDevice(n);
            }
            for (QkdLinkInfo l : topology.getLinks()) {
                publishLink(l);
            }
            log.info("Publishing the QKD topology into ONOS's ({} nodes, {} links)", topology.getNodes().size(),
                    topology.getLinks().size());
        }
        if (!now) {
            devicesGiven.clear();
        }
        leader = now;
    }

    /** Publishing thread only. */
    private void publishDevice(QkdNodeInfo n) {
        devices.publish(n);
        devicesGiven.add(n.qkdnId());
    }

    /** Publishing thread only. A link between devices ONOS does not know yet waits for the second device's event. */
    private void publishLink(QkdLinkInfo l) {
        if (devicesGiven.contains(l.nodeIdA()) && devicesGiven.contains(l.nodeIdB())) {
            links.publish(l);
        }
    }

    private void topologyChanged(QkdTopologyEvent e) {
        if (e.type() != QkdTopologyEvent.Type.LINK_PERFORMANCE) {
            thread.execute(() -> publish(e));
        }
    }

    /** Publishing thread only. */
    private void publish(QkdTopologyEvent e) {
        if (!leader) {
            return;
        }
        switch (e.type()) {
            case NODE_ADDED:
            case NODE_UPDATED:
            case NODE_CONNECTED:
            case NODE_DISCONNECTED:
                QkdNodeInfo n = e.node().orElseThrow();
                publishDevice(n);
                // Links to this node could not be published before both their devices existed.
                for (QkdLinkInfo l : topology.getLinks()) {
                    if (l.hasEnd(n.qkdnId())) {
                        publishLink(l);
                    }
                }
                break;
            case NODE_REMOVED:
                links.removeAll(e.subjectId());
                devices.remove(e.subjectId());
                devicesGiven.remove(e.subjectId());
                break;
            case LINK_ADDED:
            case LINK_UPDATED:
            case LINK_STATUS_CHANGED:
                // Ends that moved to other interfaces leave their old ONOS links behind otherwise.
                e.previousLink().filter(p -> !QkdDescriptions.keys(p).equals(QkdDescriptions.keys(e.link().get())))
                        .ifPresent(links::remove);
                publishLink(e.link().orElseThrow());
                break;
            case LINK_REMOVED:
                e.link().ifPresent(links::remove);
                break;
            default:
                break;
        }
    }
}

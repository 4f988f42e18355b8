package org.qkdnf.controller.app.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.app.codec.TopologyJson;

/**
 * {@code qkd-nodes [qkdnId]}: the QKD nodes known to the controller, one line each, or JSON with -j.
 * Karaf creates one instance per execution; its fields belong to the executing session's thread.
 */
@Service
@Command(scope = "onos", name = "qkd-nodes", description = "Lists the QKD nodes known to the QKDN controller")
public class QkdNodesCommand extends AbstractShellCommand {

    static final String FORMAT = "qkdnId=%s, name=%s, status=%s, agent=%s, interfaces=%d, links=%d, lastSeen=%s";

    @Argument(index = 0, name = "qkdnId", description = "Only this node (qkdn_id)", required = false)
    String qkdnId = null;

    @Override
    protected void doExecute() {
        list(get(QkdTopologyService.class));
    }

    /** The command's work, on a given service (the seam for tests: get() needs a running OSGi framework). */
    void list(QkdTopologyService topology) {
        List<QkdNodeInfo> nodes = new ArrayList<>();
        if (qkdnId == null) {
            nodes.addAll(topology.getNodes());
        } else {
            topology.getNode(qkdnId).ifPresent(nodes::add);
            if (nodes.isEmpty()) {
                error("No QKD node %s", qkdnId);
                return;
            }
        }
        nodes.sort(Comparator.comparing(QkdNodeInfo::qkdnId));
        if (outputJson()) {
            print("%s", TopologyJson.nodes(mapper(), nodes));
            return;
        }
        for (QkdNodeInfo n : nodes) {
            print(FORMAT, n.qkdnId(), n.node().getQkdnName(),
                    TopologyJson.name(n.node().getQkdnStatus(), "QKDN_STATUS_"),
                    n.agentConnected() ? "connected" : "disconnected", n.node().getQkdInterfacesCount(),
                    n.node().getQkdLinksCount(), n.lastSeen());
        }
    }
}

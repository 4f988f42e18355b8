package org.qkdnf.controller.app.cli;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.app.codec.TopologyJson;

/**
 * {@code qkd-links [qkdnId]}: the QKD links known to the controller (those ending at a node when
 * one is given), one line each with merged 015 status and latest figures, or JSON with -j.
 * Karaf creates one instance per execution; its fields belong to the executing session's thread.
 */
@Service
@Command(scope = "onos", name = "qkd-links", description = "Lists the QKD links known to the QKDN controller")
public class QkdLinksCommand extends AbstractShellCommand {

    static final String FORMAT = "qkdlId=%s, type=%s, status=%s%s, ends=%s<->%s, skr=%s, qber=%s";

    @Argument(index = 0, name = "qkdnId", description = "Only links ending at this node (qkdn_id)", required = false)
    String qkdnId = null;

    @Override
    protected void doExecute() {
        list(get(QkdTopologyService.class));
    }

    /** The command's work, on a given service (the seam for tests: get() needs a running OSGi framework). */
    void list(QkdTopologyService topology) {
        List<QkdLinkInfo> links = new ArrayList<>();
        for (QkdLinkInfo l : topology.getLinks()) {
            if (qkdnId == null || l.hasEnd(qkdnId)) {
                links.add(l);
            }
        }
        links.sort(Comparator.comparing(QkdLinkInfo::qkdlId));
        if (outputJson()) {
            print("%s", TopologyJson.links(mapper(), links));
            return;
        }
        for (QkdLinkInfo l : links) {
            print(FORMAT, l.qkdlId(), TopologyJson.name(l.link().getQkdlType(), "QKDL_TYPE_"),
                    TopologyJson.name(l.status(), "QKDL_STATUS_"), l.degraded() ? " (degraded)" : "",
                    l.nodeIdA(), l.nodeIdB(),
                    l.hasPerformance() ? l.skrBps() + " bit/s" : "-",
                    l.hasPerformance() ? String.valueOf(l.qber()) : "-");
        }
    }
}

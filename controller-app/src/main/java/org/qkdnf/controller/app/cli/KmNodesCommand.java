package org.qkdnf.controller.app.cli;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.proto.keymgmt.v1.KmNode;

/**
 * {@code qkd-km-nodes}: the key managers known to the controller (Sk), one line each. Karaf creates
 * one instance per execution.
 */
@Service
@Command(scope = "onos", name = "qkd-km-nodes", description = "Lists the key managers known to the QKDN controller")
public class KmNodesCommand extends AbstractShellCommand {

    static final String FORMAT = "qkdnId=%s, kmeId=%s, etsi014=%s, kms=%s, links=%d, pools=%d, availableBits=%d, "
            + "keysToMaster=%d, keysToSlave=%d, installedServices=%d";

    @Override
    protected void doExecute() {
        list(get(KeyManagementService.class));
    }

    /** The command's work on a given service (the test seam). */
    void list(KeyManagementService km) {
        for (KmNode n : km.getKmNodes()) {
            long available = n.getPoolReport().getPoolsList().stream().mapToLong(p -> p.getAvailableBits()).sum();
            print(FORMAT, n.getHello().getQkdnId(), n.getHello().getKmeId(), n.getHello().getEtsi014Address(),
                    n.getConnected() ? "connected" : "disconnected", n.getInventory().getKmLinksCount(),
                    n.getPoolReport().getPoolsCount(), available,
                    n.getRelayCounters().getServices().getKeysDeliveredToMaster(),
                    n.getRelayCounters().getServices().getKeysDeliveredToSlave(),
                    n.getRelayCounters().getInstalledServiceIdsCount());
        }
    }
}

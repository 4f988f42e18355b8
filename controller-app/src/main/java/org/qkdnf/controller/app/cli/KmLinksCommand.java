package org.qkdnf.controller.app.cli;

import java.util.List;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;

/**
 * {@code qkd-km-links}: key-management links with the key available in their lanes as each end
 * reported it. Karaf creates one instance per execution.
 */
@Service
@Command(scope = "onos", name = "qkd-km-links", description = "Lists key-management links and their key pool levels")
public class KmLinksCommand extends AbstractShellCommand {

    static final String FORMAT = "qkdlId=%s, a=%s, b=%s, availableBitsAtA=%d, availableBitsAtB=%d, lanesAtA=%d, lanesAtB=%d";

    @Override
    protected void doExecute() {
        list(get(KeyManagementService.class));
    }

    void list(KeyManagementService km) {
        for (KmLinkState l : km.getKmLinks()) {
            print(FORMAT, l.getQkdlId(), l.getQkdnIdA(), l.getQkdnIdB(), available(l.getLevelsAList()),
                    available(l.getLevelsBList()), l.getLevelsACount(), l.getLevelsBCount());
        }
    }

    private static long available(List<PoolLevel> lanes) {
        return lanes.stream().mapToLong(PoolLevel::getAvailableBits).sum();
    }
}

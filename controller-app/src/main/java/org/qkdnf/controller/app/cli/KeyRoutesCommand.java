package org.qkdnf.controller.app.cli;

import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;

/**
 * {@code qkd-key-routes}: the operator-pinned key routes the controller holds, with their state.
 * Karaf creates one instance per execution.
 */
@Service
@Command(scope = "onos", name = "qkd-key-routes", description = "Lists the key routes installed by the QKDN controller")
public class KeyRoutesCommand extends AbstractShellCommand {

    static final String FORMAT = "serviceId=%s, state=%s, master=%s, slave=%s, nodes=%s, links=%s, rateBps=%d, "
            + "bufferBits=%d";

    @Override
    protected void doExecute() {
        list(get(KeyManagementService.class));
    }

    void list(KeyManagementService km) {
        for (KeyRouteEntry e : km.getKeyRoutes()) {
            KeyRoute r = e.getRoute();
            print(FORMAT, r.getServiceId(), e.getState().name().replace("KEY_ROUTE_STATE_", ""), r.getMasterSaeId(),
                    r.getSlaveSaeId(), String.join(",", r.getRouteQkdnIdsList()),
                    String.join(",", r.getRouteQkdlIdsList()), r.getRateBps(), r.getBufferBits());
        }
    }
}

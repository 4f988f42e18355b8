package org.qkdnf.controller.app.cli;

import io.grpc.StatusRuntimeException;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.qkdnf.controller.app.codec.TopologyJson;
import org.qkdnf.controller.app.keyservice.KeyServiceCalls;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.proto.northbound.v1.KeyService;

/**
 * {@code qkd-service-add <masterSae> <masterQkdn> <slaveSae> <slaveQkdn> --rate bps --protection P}:
 * creates a key service (routed, admitted and installed by the leader) and prints it.
 */
@Service
@Command(scope = "onos", name = "qkd-service-add", description = "Creates a key service between two SAEs")
public class KeyServiceAddCommand extends KeyServiceSpecOptions {

    @Override
    protected void doExecute() {
        add(get(KeyServicesService.class));
    }

    void add(KeyServicesService services) {
        try {
            KeyService s = KeyServiceCalls.await(services.create(spec()));
            print("Created key service %s (%s) on %s", s.getServiceId(),
                    TopologyJson.name(s.getState(), "KEY_SERVICE_STATE_"),
                    KeyServicesCommand.route(s.getRoutes(0)));
        } catch (IllegalArgumentException e) {
            error("%s", e.getMessage());
        } catch (StatusRuntimeException e) {
            error("Not created: %s", KeyServiceCalls.describe(e));
        }
    }
}

package org.qkdnf.controller.app.cli;

import java.util.List;

import io.grpc.StatusRuntimeException;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.qkdnf.controller.app.codec.KeyServiceJson;
import org.qkdnf.controller.app.keyservice.KeyServiceCalls;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * {@code qkd-paths <masterSae> <masterQkdn> <slaveSae> <slaveQkdn> --rate bps --protection P}: the
 * route(s) such a key service would get now; nothing is reserved.
 */
@Service
@Command(scope = "onos", name = "qkd-paths", description = "Computes the key-relay route(s) a key service would get")
public class KeyPathsCommand extends KeyServiceSpecOptions {

    @Override
    protected void doExecute() {
        query(get(KeyServicesService.class));
    }

    void query(KeyServicesService services) {
        try {
            List<ServiceRoute> routes = KeyServiceCalls.await(services.queryPaths(spec()));
            if (outputJson()) {
                print("%s", KeyServiceJson.routesObject(mapper(), routes));
                return;
            }
            for (int i = 0; i < routes.size(); i++) {
                ServiceRoute r = routes.get(i);
                print("%s: nodes=%s, links=%s", i == 0 ? "working" : "protection", String.join(">", r.getQkdnIdsList()),
                        String.join(",", r.getQkdlIdsList()));
            }
        } catch (IllegalArgumentException e) {
            error("%s", e.getMessage());
        } catch (StatusRuntimeException e) {
            error("No route: %s", KeyServiceCalls.describe(e));
        }
    }
}

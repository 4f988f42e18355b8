package org.qkdnf.controller.app.cli;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.app.codec.KeyServiceJson;
import org.qkdnf.controller.app.codec.TopologyJson;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * {@code qkd-services [serviceId]}: the key services, one line each, or JSON with -j. Karaf creates
 * one instance per execution; its fields belong to the executing session's thread.
 */
@Service
@Command(scope = "onos", name = "qkd-services", description = "Lists the key services of the QKDN controller")
public class KeyServicesCommand extends AbstractShellCommand {

    static final String FORMAT = "serviceId=%s, state=%s, master=%s@%s, slave=%s@%s, minBps=%d, priority=%d, "
            + "protection=%s, route=%s, reroutes=%d%s";

    @Argument(index = 0, name = "serviceId", description = "Only this key service", required = false)
    String serviceId = null;

    @Override
    protected void doExecute() {
        list(get(KeyServicesService.class));
    }

    /** The command's work, on a given service (the seam for tests). */
    void list(KeyServicesService services) {
        List<KeyService> shown = new ArrayList<>();
        if (serviceId == null) {
            shown.addAll(services.list());
        } else {
            services.get(serviceId).ifPresent(shown::add);
            if (shown.isEmpty()) {
                error("No key service %s", serviceId);
                return;
            }
        }
        if (outputJson()) {
            print("%s", KeyServiceJson.services(mapper(), shown));
            return;
        }
        for (KeyService s : shown) {
            print(FORMAT, s.getServiceId(), TopologyJson.name(s.getState(), "KEY_SERVICE_STATE_"),
                    s.getSpec().getMasterSaeId(), s.getSpec().getMasterQkdnId(), s.getSpec().getSlaveSaeId(),
                    s.getSpec().getSlaveQkdnId(), s.getSpec().getQos().getMinBandwidthBps(),
                    s.getSpec().getQos().getPriority(), TopologyJson.name(s.getSpec().getProtection(), "PROTECTION_"),
                    s.getRoutesCount() == 0 ? "-" : route(s.getRoutes(0)), s.getReroutes(),
                    s.getReason().isEmpty() ? "" : ", reason=" + s.getReason());
        }
    }

    static String route(ServiceRoute r) {
        return String.join(">", r.getQkdnIdsList());
    }
}

package org.qkdnf.controller.app.cli;

import io.grpc.StatusRuntimeException;
import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Command;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.app.keyservice.KeyServiceCalls;
import org.qkdnf.controller.app.keyservice.KeyServicesService;

/** {@code qkd-service-remove <serviceId>}: removes the routes and releases the reservation. */
@Service
@Command(scope = "onos", name = "qkd-service-remove", description = "Deletes a key service")
public class KeyServiceRemoveCommand extends AbstractShellCommand {

    @Argument(index = 0, name = "serviceId", description = "The key service's id", required = true)
    @Completion(KeyServiceIdCompleter.class)
    String serviceId = null;

    @Override
    protected void doExecute() {
        remove(get(KeyServicesService.class));
    }

    void remove(KeyServicesService services) {
        try {
            KeyServiceCalls.await(services.delete(serviceId));
            print("Deleted key service %s", serviceId);
        } catch (StatusRuntimeException e) {
            error("Not deleted: %s", KeyServiceCalls.describe(e));
        }
    }
}

package org.qkdnf.controller.app.cli;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractChoicesCompleter;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.proto.northbound.v1.KeyService;

import static org.onosproject.cli.AbstractShellCommand.get;

/** Completes the ids of the key services. */
@Service
public class KeyServiceIdCompleter extends AbstractChoicesCompleter {

    @Override
    protected List<String> choices() {
        List<String> ids = new ArrayList<>();
        for (KeyService s : get(KeyServicesService.class).list()) {
            ids.add(s.getServiceId());
        }
        return ids;
    }
}

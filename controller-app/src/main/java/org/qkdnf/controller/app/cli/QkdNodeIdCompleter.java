package org.qkdnf.controller.app.cli;

import java.util.ArrayList;
import java.util.List;

import org.apache.karaf.shell.api.action.lifecycle.Service;
import org.onosproject.cli.AbstractChoicesCompleter;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyService;

import static org.onosproject.cli.AbstractShellCommand.get;

/** Completes qkdn_ids of the known QKD nodes. */
@Service
public class QkdNodeIdCompleter extends AbstractChoicesCompleter {

    @Override
    protected List<String> choices() {
        List<String> ids = new ArrayList<>();
        for (QkdNodeInfo n : get(QkdTopologyService.class).getNodes()) {
            ids.add(n.qkdnId());
        }
        return ids;
    }
}

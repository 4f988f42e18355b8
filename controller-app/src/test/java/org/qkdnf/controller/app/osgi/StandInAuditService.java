package org.qkdnf.controller.app.osgi;

import org.onosproject.security.AuditService;

/** ONOS's AuditService, not auditing: every ONOS CLI command looks it up before it runs. */
public class StandInAuditService implements AuditService {

    @Override
    public boolean isAuditing() {
        return false;
    }

    @Override
    public void logUserAction(String user, String action) {
        throw new IllegalStateException("not auditing");
    }
}

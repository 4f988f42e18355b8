package org.qkdnf.testbed.run;

import java.time.Clock;
import java.util.HashMap;
import java.util.Map;
import java.util.Optional;
import java.util.function.Function;

import org.qkdnf.controller.keyservice.KeyServiceListener;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.testbed.view.StatusChangeLog;

/**
 * Tells the live view's change log when the controller moves a requested key service to another
 * working route or changes its state (DEGRADED and back), so a fibre cut shows what it did to the
 * services, not only to the link. The first sight of a service is not a change.
 *
 * <p>Threads: called on the controller's key-service thread only, which owns {@link #seen}; the
 * change log is thread-safe.
 */
final class ServiceMoveFeed implements KeyServiceListener {

    private final String providerId;
    private final StatusChangeLog log;
    /** The scenario's name of a service id, empty until the testbed knows the id. */
    private final Function<String, Optional<String>> serviceName;
    private final Map<String, String> nodeNames;
    private final Clock clock;
    private final Map<String, String> seen = new HashMap<>();

    ServiceMoveFeed(String providerId, StatusChangeLog log, Function<String, Optional<String>> serviceName,
                    Map<String, String> nodeNames, Clock clock) {
        this.providerId = providerId;
        this.log = log;
        this.serviceName = serviceName;
        this.nodeNames = Map.copyOf(nodeNames);
        this.clock = clock;
    }

    @Override
    public void keyServiceChanged(KeyService service, boolean removed) {
        String id = service.getServiceId();
        String now = removed ? "removed" : label(service);
        String before = seen.put(id, now);
        if (before == null || before.equals(now)) {
            return;
        }
        String name = serviceName.apply(id).orElse(id);
        log.add(new StatusChangeLog.Change(clock.instant(), providerId, "key service " + name, before,
                now + (service.getReroutes() > 0 ? " (reroutes " + service.getReroutes() + ")" : "")));
    }

    /** State and working route by node names, e.g. "ACTIVE A>B>C"; just the state while it holds no route. */
    private String label(KeyService s) {
        String state = s.getState().name().replace("KEY_SERVICE_STATE_", "");
        if (s.getRoutesCount() == 0) {
            return state;
        }
        ServiceRoute working = s.getRoutes(0);
        StringBuilder b = new StringBuilder(state).append(' ');
        for (int i = 0; i < working.getQkdnIdsCount(); i++) {
            String n = working.getQkdnIds(i);
            b.append(i == 0 ? "" : ">").append(nodeNames.getOrDefault(n, n));
        }
        return b.toString();
    }
}

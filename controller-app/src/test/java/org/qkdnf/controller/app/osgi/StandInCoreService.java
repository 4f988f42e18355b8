package org.qkdnf.controller.app.osgi;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

import org.onosproject.core.ApplicationId;
import org.onosproject.core.CoreServiceAdapter;
import org.onosproject.core.DefaultApplicationId;

/** ONOS's CoreService as far as the app uses it: application ids, stable per name. */
public class StandInCoreService extends CoreServiceAdapter {

    private final ConcurrentHashMap<String, ApplicationId> ids = new ConcurrentHashMap<>();
    private final AtomicInteger next = new AtomicInteger(1);

    @Override
    public ApplicationId registerApplication(String name) {
        return ids.computeIfAbsent(name, n -> new DefaultApplicationId(next.getAndIncrement(), n));
    }

    @Override
    public ApplicationId getAppId(String name) {
        return ids.get(name);
    }
}

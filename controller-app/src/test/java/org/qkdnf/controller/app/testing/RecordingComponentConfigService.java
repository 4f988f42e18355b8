package org.qkdnf.controller.app.testing;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.onosproject.cfg.ComponentConfigAdapter;

/** ONOS's ComponentConfigAdapter that remembers which components registered their properties. */
public class RecordingComponentConfigService extends ComponentConfigAdapter {

    public final Set<String> registered = ConcurrentHashMap.newKeySet();

    @Override
    public void registerProperties(Class<?> componentClass) {
        registered.add(componentClass.getName());
    }

    @Override
    public void unregisterProperties(Class<?> componentClass, boolean clear) {
        registered.remove(componentClass.getName());
    }
}

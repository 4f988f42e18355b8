package org.qkdnf.controller.app.testing;

import java.util.Dictionary;
import java.util.Hashtable;

import org.onlab.osgi.ComponentContextAdapter;

/** A component context carrying the given properties, as SCR hands them to activate/modified. */
public class TestComponentContext extends ComponentContextAdapter {

    private final Hashtable<String, Object> properties = new Hashtable<>();

    public TestComponentContext with(String name, Object value) {
        properties.put(name, value);
        return this;
    }

    @Override
    @SuppressWarnings({"rawtypes", "unchecked"})
    public Dictionary getProperties() {
        return properties;
    }
}

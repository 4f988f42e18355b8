package org.qkdnf.controller.app.rest;

import java.util.Set;

import org.onlab.rest.AbstractWebApplication;

/**
 * The app's JAX-RS application (named in WEB-INF/web.xml), served by ONOS under the app's web
 * context with ONOS's authentication and error mappers.
 */
public class QkdControllerWebApplication extends AbstractWebApplication {

    @Override
    public Set<Class<?>> getClasses() {
        return getClasses(QkdNodesWebResource.class, QkdLinksWebResource.class, KeyManagementWebResource.class,
                KeyServicesWebResource.class, KeyPathsWebResource.class);
    }
}

package org.qkdnf.controller.app.impl;

import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD;
import static org.qkdnf.controller.app.impl.OsgiPropertyConstants.QBER_DEGRADED_THRESHOLD_DEFAULT;

import java.util.Collection;
import java.util.Dictionary;
import java.util.Optional;

import org.onlab.util.Tools;
import org.onosproject.cfg.ComponentConfigService;
import org.onosproject.core.ApplicationId;
import org.onosproject.core.CoreService;
import org.osgi.service.component.ComponentContext;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Modified;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.api.QkdTopologyStore;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's topology inside ONOS: the core's {@link QkdTopologyManager} over the cluster
 * store, exported as {@link QkdTopologyService} and {@link QkdTopologyAdminService}, with the QBER
 * degraded threshold as a component property.
 *
 * <p>Threads: SCR calls activate, modified and deactivate one at a time; they own
 * {@code qberDegradedThreshold}. {@code manager} is set in activate before the services are
 * registered and read by any thread (Sq calls, CLI, REST) afterwards.
 */
@Component(immediate = true,
        service = {QkdTopologyService.class, QkdTopologyAdminService.class},
        property = {
                QBER_DEGRADED_THRESHOLD + ":Double=" + QBER_DEGRADED_THRESHOLD_DEFAULT,
        })
public class QkdControllerManager implements QkdTopologyAdminService {

    /** The ONOS application name (the .oar's onos.app.name). */
    public static final String APP_NAME = "org.qkdnf.controller";

    private static final Logger log = LoggerFactory.getLogger(QkdControllerManager.class);

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected CoreService coreService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ComponentConfigService cfgService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected QkdTopologyStore store;

    /** A link whose QBER is above this fraction is reported degraded; in (0, 0.5]. */
    private double qberDegradedThreshold = QBER_DEGRADED_THRESHOLD_DEFAULT;

    private ApplicationId appId;
    private volatile QkdTopologyManager manager;

    @Activate
    protected void activate(ComponentContext context) {
        appId = coreService.registerApplication(APP_NAME);
        cfgService.registerProperties(getClass());
        manager = new QkdTopologyManager(store);
        readComponentConfiguration(context);
        log.info("Started {}: {} nodes, {} links, {}", appId.name(), manager.getNodes().size(),
                manager.getLinks().size(), manager.settings());
    }

    @Modified
    protected void modified(ComponentContext context) {
        readComponentConfiguration(context);
    }

    @Deactivate
    protected void deactivate() {
        cfgService.unregisterProperties(getClass(), false);
        manager.close();
        log.info("Stopped");
    }

    /**
     * Applies the threshold when it is valid and differs from the settings in force. An invalid
     * value is refused with a warning naming it, and the settings in force stay (ONOS's
     * ComponentConfigService has already accepted the string, so refusing is all we can do).
     */
    private void readComponentConfiguration(ComponentContext context) {
        Dictionary<?, ?> properties = context == null ? null : context.getProperties();
        String text = properties == null ? null : Tools.get(properties, QBER_DEGRADED_THRESHOLD);
        double wanted = qberDegradedThreshold;
        if (text != null) {
            try {
                wanted = Double.parseDouble(text);
            } catch (NumberFormatException e) {
                log.warn("{}: '{}' is not a number; keeping {}", QBER_DEGRADED_THRESHOLD, text,
                        qberDegradedThreshold);
                return;
            }
        }
        ControllerSettings current = manager.settings();
        if (Double.compare(current.qberDegradedThreshold(), wanted) == 0) {
            qberDegradedThreshold = wanted;
            return;
        }
        try {
            manager.updateSettings(current.withQberDegradedThreshold(wanted));
            qberDegradedThreshold = wanted;
        } catch (IllegalArgumentException e) {
            log.warn("{}: {}; keeping {}", QBER_DEGRADED_THRESHOLD, e.getMessage(),
                    current.qberDegradedThreshold());
        }
    }

    // ------------------------------------------------------------------------------------------
    // QkdTopologyService / QkdTopologyAdminService: the core manager's, unchanged.

    @Override
    public Collection<QkdNodeInfo> getNodes() {
        return manager.getNodes();
    }

    @Override
    public Optional<QkdNodeInfo> getNode(String qkdnId) {
        return manager.getNode(qkdnId);
    }

    @Override
    public Collection<QkdLinkInfo> getLinks() {
        return manager.getLinks();
    }

    @Override
    public Optional<QkdLinkInfo> getLink(String qkdlId) {
        return manager.getLink(qkdlId);
    }

    @Override
    public ControllerSettings settings() {
        return manager.settings();
    }

    @Override
    public void addListener(QkdTopologyListener listener) {
        manager.addListener(listener);
    }

    @Override
    public void removeListener(QkdTopologyListener listener) {
        manager.removeListener(listener);
    }

    @Override
    public QkdNodeInfo applyInventory(QkdNode node) {
        return manager.applyInventory(node);
    }

    @Override
    public QkdLinkInfo applyPerformance(String reporterQkdnId, LinkPerformance performance) {
        return manager.applyPerformance(reporterQkdnId, performance);
    }

    @Override
    public QkdLinkInfo linkDown(String reporterQkdnId, String qkdlId) {
        return manager.linkDown(reporterQkdnId, qkdlId);
    }

    @Override
    public Optional<QkdNodeInfo> setAgentConnected(String qkdnId, boolean connected) {
        return manager.setAgentConnected(qkdnId, connected);
    }

    @Override
    public Optional<QkdNodeInfo> removeNode(String qkdnId) {
        return manager.removeNode(qkdnId);
    }

    @Override
    public void updateSettings(ControllerSettings settings) {
        manager.updateSettings(settings);
    }
}

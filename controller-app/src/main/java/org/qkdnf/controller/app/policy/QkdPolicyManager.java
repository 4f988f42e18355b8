package org.qkdnf.controller.app.policy;

import static org.onosproject.net.config.basics.SubjectFactories.APP_SUBJECT_FACTORY;

import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

import org.onosproject.core.ApplicationId;
import org.onosproject.core.CoreService;
import org.onosproject.net.config.ConfigFactory;
import org.onosproject.net.config.InvalidFieldException;
import org.onosproject.net.config.NetworkConfigEvent;
import org.onosproject.net.config.NetworkConfigListener;
import org.onosproject.net.config.NetworkConfigRegistry;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.app.impl.QkdControllerManager;
import org.qkdnf.controller.app.keyservice.KeyServiceComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies the {@link QkdPolicyConfig} from ONOS network configuration: the admissible fraction to
 * the key services (the leader's running manager displaces what no longer fits, without a
 * rebuild); pre-emption, the degraded retry window and the QBER threshold to the cluster's
 * controller settings, which the leader's key-service manager reads at each decision. netcfg is the
 * only source of the fraction, pre-emption and the retry window, so an absent field (or a removed
 * policy) restores the core's default for them; the threshold is also a property of
 * {@link QkdControllerManager}, so an absent threshold leaves it as it is.
 *
 * <p>Threads: netcfg listeners must return at once, so events are handled on the
 * {@code qkdnf-policy} thread, which alone applies policies.
 */
@Component(immediate = true)
public class QkdPolicyManager {

    private static final Logger log = LoggerFactory.getLogger(QkdPolicyManager.class);

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected NetworkConfigRegistry netcfg;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected CoreService coreService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected KeyServiceComponent keyServices;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected QkdTopologyAdminService topology;

    private final ConfigFactory<ApplicationId, QkdPolicyConfig> factory =
            new ConfigFactory<ApplicationId, QkdPolicyConfig>(APP_SUBJECT_FACTORY, QkdPolicyConfig.class,
                    QkdPolicyConfig.KEY) {
                @Override
                public QkdPolicyConfig createConfig() {
                    return new QkdPolicyConfig();
                }
            };
    private final NetworkConfigListener listener = this::configChanged;
    private ApplicationId appId;
    private ExecutorService thread;
    /** The retry window this instance last applied (policy thread); null before the first policy. */
    private Duration appliedRetryWindow;

    @Activate
    protected void activate() {
        appId = coreService.registerApplication(QkdControllerManager.APP_NAME);
        thread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qkdnf-policy");
            t.setDaemon(true);
            return t;
        });
        netcfg.registerConfigFactory(factory);
        netcfg.addListener(listener);
        thread.execute(() -> apply(netcfg.getConfig(appId, QkdPolicyConfig.class)));
        log.info("Started");
    }

    @Deactivate
    protected void deactivate() {
        netcfg.removeListener(listener);
        netcfg.unregisterConfigFactory(factory);
        thread.shutdownNow();
        log.info("Stopped");
    }

    private void configChanged(NetworkConfigEvent event) {
        if (event.configClass() != QkdPolicyConfig.class || !appId.equals(event.subject())) {
            return;
        }
        switch (event.type()) {
            case CONFIG_ADDED:
            case CONFIG_UPDATED:
                thread.execute(() -> apply(netcfg.getConfig(appId, QkdPolicyConfig.class)));
                break;
            case CONFIG_REMOVED:
                thread.execute(() -> apply(null));
                break;
            default:
                break;
        }
    }

    /** Policy thread only. {@code config} null: no policy in netcfg. */
    private void apply(QkdPolicyConfig config) {
        if (config == null) {
            updateSettings(ControllerSettings.KEY_SERVICE_PREEMPTION_DEFAULT,
                    ControllerSettings.DEGRADED_RETRY_WINDOW_DEFAULT, Optional.empty());
            retryWindowApplied(ControllerSettings.DEGRADED_RETRY_WINDOW_DEFAULT);
            keyServices.setAdmissibleFraction(KeyServiceComponent.ADMISSIBLE_FRACTION_DEFAULT);
            log.info("netcfg {} removed: default key-service policy", QkdPolicyConfig.KEY);
            return;
        }
        try {
            config.isValid();
        } catch (InvalidFieldException e) {
            // netcfg validates before it stores, so this is a policy written around it: keep the previous one.
            log.warn("netcfg {}: {}; the policy in force stays", QkdPolicyConfig.KEY, e.getMessage());
            return;
        }
        // Settings first: the services a lower fraction degrades then get this policy's retry window.
        Duration window = config.degradedRetryWindow().orElse(ControllerSettings.DEGRADED_RETRY_WINDOW_DEFAULT);
        updateSettings(config.preemption().orElse(ControllerSettings.KEY_SERVICE_PREEMPTION_DEFAULT), window,
                config.qberDegradedThreshold());
        retryWindowApplied(window);
        keyServices.setAdmissibleFraction(config.admissibleFraction()
                .orElse(KeyServiceComponent.ADMISSIBLE_FRACTION_DEFAULT));
        log.info("Applied netcfg {}: {}", QkdPolicyConfig.KEY, config.node());
    }

    /**
     * Hands a changed window to the key services, whose leader re-schedules the services already
     * DEGRADED. Tracked per instance, not from the settings: another instance applying the same
     * netcfg event may have written them first. Policy thread only.
     */
    private void retryWindowApplied(Duration window) {
        if (!window.equals(appliedRetryWindow)) {
            appliedRetryWindow = window;
            keyServices.degradedRetryWindowChanged();
        }
    }

    /** One settings write, and none when nothing changes (every write is an event on every instance). */
    private void updateSettings(boolean preemption, Duration retryWindow, Optional<Double> qberThreshold) {
        ControllerSettings current = topology.settings();
        ControllerSettings next = current.withKeyServicePreemption(preemption).withDegradedRetryWindow(retryWindow);
        if (qberThreshold.isPresent()) {
            next = next.withQberDegradedThreshold(qberThreshold.get());
        }
        if (!next.equals(current)) {
            topology.updateSettings(next);
        }
    }
}

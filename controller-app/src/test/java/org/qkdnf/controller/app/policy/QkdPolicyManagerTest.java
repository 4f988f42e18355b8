package org.qkdnf.controller.app.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onosproject.core.ApplicationId;
import org.onosproject.core.CoreServiceAdapter;
import org.onosproject.core.DefaultApplicationId;
import org.onosproject.net.config.InvalidFieldException;
import org.qkdnf.controller.app.keyservice.KeyServiceCluster;
import org.qkdnf.controller.app.testing.TestNetworkConfigRegistry;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceState;

/** The netcfg policy applied to a one-instance {@link KeyServiceCluster} through netcfg events. */
class QkdPolicyManagerTest {

    private static final ApplicationId APP = new DefaultApplicationId(7, "org.qkdnf.controller");

    private final TestNetworkConfigRegistry netcfg = new TestNetworkConfigRegistry();
    private final QkdPolicyManager policy = new QkdPolicyManager();
    private KeyServiceCluster cluster;

    @BeforeEach
    void setUp() throws Exception {
        cluster = KeyServiceCluster.start(1);
        policy.netcfg = netcfg;
        policy.coreService = new CoreServiceAdapter() {
            @Override
            public ApplicationId registerApplication(String name) {
                return APP;
            }
        };
        policy.keyServices = cluster.instance(0).services;
        policy.topology = cluster.instance(0).topology;
        policy.activate();
    }

    @AfterEach
    void tearDown() {
        policy.deactivate();
        cluster.close();
    }

    private static JsonNode json(String text) throws Exception {
        return new ObjectMapper().readTree(text);
    }

    private void eventually(java.util.function.BooleanSupplier condition) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("condition met within 10 s").isLessThan(deadline);
            Thread.sleep(5);
        }
    }

    /** Whether every link admits {@code bps} now (false while the leader rebuilds its manager: UNAVAILABLE). */
    private boolean everyLinkAdmits(long bps) {
        try {
            return cluster.instance(0).services.topology().join().getLinksList().stream()
                    .allMatch(l -> l.getAdmissibleBps() == bps);
        } catch (java.util.concurrent.CompletionException e) {
            return false;
        }
    }

    @Test
    void aLowerAdmissibleFractionDisplacesWhatNoLongerFitsAndRemovingThePolicyRestoresTheDefault()
            throws Exception {
        var services = cluster.instance(0).services;
        for (int n = 0; n < 8; n++) {
            services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        }

        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 0.5, \"preemption\": false}"));

        eventually(() -> everyLinkAdmits(KeyServiceCluster.SKR_BPS / 2));
        eventually(() -> services.list().stream().filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED)
                .count() == 4);
        for (var l : services.topology().join().getLinksList()) {
            assertThat(l.getReservedBps()).as(l.getQkdlId()).isLessThanOrEqualTo(l.getAdmissibleBps());
        }

        netcfg.removeConfig(APP, QkdPolicyConfig.class);
        eventually(() -> everyLinkAdmits(KeyServiceCluster.ADMISSIBLE));
        eventually(() -> services.list().stream().map(KeyService::getState)
                .allMatch(s -> s == KeyServiceState.KEY_SERVICE_STATE_ACTIVE));
    }

    @Test
    void theQberThresholdGoesToTheControllerSettings() throws Exception {
        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"qberDegradedThreshold\": 0.06}"));

        eventually(() -> cluster.instance(0).topology.settings().qberDegradedThreshold() == 0.06);
    }

    @Test
    void anInvalidPolicyIsRefusedNamingTheField() {
        assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 1.5}")))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("admissibleFraction");
        assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 0}")))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("admissibleFraction")
                .hasMessageContaining("(0, 1]");
        assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"qberDegradedThreshold\": \"x\"}")))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("qberDegradedThreshold");
        assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraktion\": 0.5}")))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("admissibleFraktion");
        assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"preemption\": true}")))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("preemption");
        assertThat(cluster.instance(0).services.admissibleFraction()).isEqualTo(0.9);
    }
}

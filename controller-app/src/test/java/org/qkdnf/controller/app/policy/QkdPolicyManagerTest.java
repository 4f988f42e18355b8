package org.qkdnf.controller.app.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.onosproject.core.ApplicationId;
import org.onosproject.core.CoreServiceAdapter;
import org.onosproject.core.DefaultApplicationId;
import org.onosproject.net.config.InvalidFieldException;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.app.keyservice.KeyServiceCluster;
import org.qkdnf.controller.app.testing.TestNetworkConfigRegistry;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
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

    /** Whether every link admits {@code bps} now (the leader's manager answers throughout: no rebuild). */
    private boolean everyLinkAdmits(long bps) {
        return cluster.instance(0).services.topology().join().getLinksList().stream()
                .allMatch(l -> l.getAdmissibleBps() == bps);
    }

    @Test
    void aLowerAdmissibleFractionDisplacesWhatNoLongerFitsAndRemovingThePolicyRestoresTheDefault()
            throws Exception {
        var services = cluster.instance(0).services;
        for (int n = 0; n < 8; n++) {
            services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        }

        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 0.5, \"preemption\": false}"));

        eventually(() -> everyLinkAdmits(KeyServiceCluster.SKR_BPS / 4));
        eventually(() -> services.list().stream().filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED)
                .count() == 4);
        for (var l : services.topology().join().getLinksList()) {
            assertThat(l.getReservedBpsAToB()).as(l.getQkdlId()).isLessThanOrEqualTo(l.getAdmissibleBps());
            assertThat(l.getReservedBpsBToA()).as(l.getQkdlId()).isLessThanOrEqualTo(l.getAdmissibleBps());
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

    /** The leader's manager follows the pre-emption switch from netcfg; removing the policy restores the default (on). */
    @Test
    void preemptionFollowsThePolicy() throws Exception {
        var services = cluster.instance(0).services;
        for (int n = 0; n < 8; n++) {
            services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        }
        KeyServiceSpec urgent = KeyServiceCluster.spec(2_000).toBuilder().setQos(AppQos.newBuilder()
                .setMinBandwidthBps(2_000).setPriority(5)).build();

        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"preemption\": false}"));
        eventually(() -> !cluster.instance(0).topology.settings().keyServicePreemption());
        assertThatThrownBy(() -> services.create(urgent).get(20, TimeUnit.SECONDS))
                .satisfies(e -> assertThat(Status.fromThrowable(e).getCode())
                        .isEqualTo(Status.Code.RESOURCE_EXHAUSTED));
        assertThat(services.list()).extracting(KeyService::getState).containsOnly(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);

        netcfg.removeConfig(APP, QkdPolicyConfig.class);
        eventually(() -> cluster.instance(0).topology.settings().equals(ControllerSettings.defaults()));
        KeyService admitted = services.create(urgent).get(20, TimeUnit.SECONDS);
        assertThat(admitted.getState()).isEqualTo(KeyServiceState.KEY_SERVICE_STATE_ACTIVE);
        eventually(() -> services.list().stream()
                .filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED).count() == 1);
    }

    /** Services a lowered fraction displaces and nothing carries fail after the policy's retry window. */
    @Test
    void theRetryWindowGoesToTheLeadersManager() throws Exception {
        var services = cluster.instance(0).services;
        for (int n = 0; n < 8; n++) {
            services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        }

        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 0.5, \"degradedRetryWindowS\": 1}"));

        eventually(() -> cluster.instance(0).topology.settings().degradedRetryWindow().equals(Duration.ofSeconds(1)));
        eventually(() -> services.list().stream()
                .filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_FAILED).count() == 4);
        assertThat(services.list()).extracting(KeyService::getState).containsOnly(
                KeyServiceState.KEY_SERVICE_STATE_ACTIVE, KeyServiceState.KEY_SERVICE_STATE_FAILED);

        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"degradedRetryWindowS\": 0}"));
        eventually(() -> cluster.instance(0).topology.settings().degradedRetryWindow().isZero());
    }

    /** A window changed later reaches the services already DEGRADED, without a leader change. */
    @Test
    void aChangedRetryWindowReachesServicesAlreadyDegraded() throws Exception {
        var services = cluster.instance(0).services;
        for (int n = 0; n < 8; n++) {
            services.create(KeyServiceCluster.spec(2_000)).get(20, TimeUnit.SECONDS);
        }
        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 0.5}"));
        eventually(() -> services.list().stream()
                .filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED).count() == 4);

        netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"admissibleFraction\": 0.5, \"degradedRetryWindowS\": 1}"));

        eventually(() -> services.list().stream()
                .filter(s -> s.getState() == KeyServiceState.KEY_SERVICE_STATE_FAILED).count() == 4);
        assertThat(services.list()).extracting(KeyService::getState).containsOnly(
                KeyServiceState.KEY_SERVICE_STATE_ACTIVE, KeyServiceState.KEY_SERVICE_STATE_FAILED);
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
        assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class, json("{\"preemption\": \"yes\"}")))
                .isInstanceOf(InvalidFieldException.class).hasMessageContaining("preemption");
        for (String window : new String[] {"-1", "1.5", "\"soon\"", "2592001"}) {
            assertThatThrownBy(() -> netcfg.applyConfig(APP, QkdPolicyConfig.class,
                    json("{\"degradedRetryWindowS\": " + window + "}")))
                    .as(window).isInstanceOf(InvalidFieldException.class).hasMessageContaining("degradedRetryWindowS");
        }
        assertThat(cluster.instance(0).topology.settings()).isEqualTo(ControllerSettings.defaults());
        assertThat(cluster.instance(0).services.admissibleFraction()).isEqualTo(0.9);
    }
}

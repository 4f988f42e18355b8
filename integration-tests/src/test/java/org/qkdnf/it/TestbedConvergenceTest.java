package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.DecoyStateBb84;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.testbed.report.TestbedReport;
import org.qkdnf.testbed.run.RunDirectory;
import org.qkdnf.testbed.run.TestbedRun;
import org.qkdnf.testbed.scenario.Scenario;
import org.qkdnf.testbed.scenario.ScenarioIds;
import org.qkdnf.testbed.scenario.ScenarioLoader;

/** A scenario run by the testbed: controller and agents over mTLS on loopback. */
class TestbedConvergenceTest {

    static final String PROVIDER = "it-provider";

    @TempDir
    Path dir;

    @Test
    void convergesAndAScheduledCutIsSeenByTheControllerWithinOneSecond() throws Exception {
        Scenario scenario = ScenarioLoader.parse("four-nodes.yaml",
                ScenarioLoader.readResource("/four-nodes.yaml"));
        String cutLink = ScenarioIds.linkId(PROVIDER, "n4--n1");
        try (TestbedRun run = TestbedRun.start(scenario, RunDirectory.create(dir.resolve("run")))) {
            QkdTopologyService topology = run.controller(PROVIDER).topologyService();
            CompletableFuture<Instant> off = new CompletableFuture<>();
            QkdTopologyListener watch = e -> e.link().filter(l -> l.qkdlId().equals(cutLink)
                    && l.status() == QkdlStatus.QKDL_STATUS_OFF).ifPresent(l -> off.complete(Instant.now()));
            topology.addListener(watch);

            assertThat(run.awaitConverged(Duration.ofSeconds(5))).as("converged").isTrue();
            assertThat(topology.getNodes()).hasSize(4).allMatch(n -> n.agentConnected());
            for (Scenario.Link l : scenario.providers().get(0).links()) {
                QkdLinkInfo info = topology.getLink(ScenarioIds.linkId(PROVIDER, l.name())).orElseThrow();
                assertThat(info.reportCount()).isEqualTo(2);
                assertThat(info.status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
                double modelled = new DecoyStateBb84().evaluate(
                        new ChannelParameters(l.lengthKm(), 0.2, 0.2, 1e-6, 0.015, 1e9), 0).skrBps();
                assertThat(info.eskrBps()).isCloseTo(modelled, org.assertj.core.api.Assertions.withinPercentage(0.1));
            }

            Instant cut = run.startedAt().plusSeconds(6);
            Instant seen = off.get(15, TimeUnit.SECONDS);
            assertThat(Duration.between(cut, seen)).as("cut to OFF at the controller")
                    .isLessThan(Duration.ofSeconds(1));
            assertThat(seen).isAfterOrEqualTo(cut);

            TestbedReport report = run.snapshot();
            assertThat(report.providers().get(0).links()).filteredOn(l -> l.name().equals("n4--n1"))
                    .singleElement().satisfies(l -> assertThat(l.status()).isEqualTo("OFF"));
            topology.removeListener(watch);
        }
    }
}

package org.qkdnf.bench.sq;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The load driver end to end at a tiny load (20 streams, 200 updates/s, ~2 s): certificates,
 * controller, mTLS streams, pacing and the latency probe all work together. Not a benchmark.
 */
class SqLoadRunSmokeTest {

    @Test
    @Timeout(60)
    void measuresAcceptedUpdatesAndLatencyAtATinyRate() throws Exception {
        SqLoadSettings settings = new SqLoadSettings(20, 2, List.of(200), 0.5, 1.5, 2, 1, 1000, ServerSpec.STOCK);
        ByteArrayOutputStream text = new ByteArrayOutputStream();

        List<StepResult> results = new SqLoadRun(settings, new PrintStream(text, true, StandardCharsets.UTF_8)).run();

        assertThat(results).hasSize(1);
        StepResult r = results.get(0);
        assertThat(r.samples()).isPositive();
        assertThat(r.acceptedPerSecond()).isBetween(100.0, 300.0);
        assertThat(r.p99Millis()).isPositive();
        assertThat(text.toString(StandardCharsets.UTF_8)).contains("20 agents connected", "| 200 |");
    }
}

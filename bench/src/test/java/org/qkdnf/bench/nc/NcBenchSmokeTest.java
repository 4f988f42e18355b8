package org.qkdnf.bench.nc;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import picocli.CommandLine;

/**
 * The Nc harnesses end to end at a tiny size, so they keep working: {@code nc-provision} with
 * three real kms-agents (25 setups, every route checked in the agents' stores), the same through
 * BatchCreateKeyServices calls of 4 with acking key managers, one settling round (its services
 * deleted again) before measuring, and
 * {@code nc-recovery} with acking key managers (100 services rerouted off a cut link). Each
 * command exits 0 only when every setup succeeded and every route is where it should be. Not a
 * benchmark.
 */
class NcBenchSmokeTest {

    @Test
    @Timeout(120)
    void provisionsOverNcIntoRealKmsAgents() {
        int rc = new CommandLine(new NcProvisionCommand()).execute("--nodes", "3", "--links-per-node", "2", "--services", "20", "--warmup", "5",
                "--in-flight", "8");
        assertThat(rc).isZero();
    }

    @Test
    @Timeout(120)
    void provisionsInBatchesOverNc() {
        int rc = new CommandLine(new NcProvisionCommand()).execute("--nodes", "3", "--links-per-node", "2", "--services", "20",
                "--warmup", "5", "--in-flight", "8", "--batch", "4", "--kms", "ACKING");
        assertThat(rc).isZero();
    }

    @Test
    @Timeout(120)
    void settlesTheJitInRoundsWhoseServicesAreDeletedAgain() {
        // Any round is below 64 cores, so one round runs; the final check counts the live services,
        // so it fails if the round's services were not deleted again.
        int rc = new CommandLine(new NcProvisionCommand()).execute("--nodes", "3", "--links-per-node", "2", "--services", "20",
                "--warmup", "5", "--in-flight", "8", "--kms", "ACKING", "--warmup-until-jit-below", "64", "--settle-round", "10");
        assertThat(rc).isZero();
    }

    @Test
    @Timeout(120)
    void recoversEveryServiceOffACutLink() {
        int rc = new CommandLine(new NcRecoveryCommand()).execute("--nodes", "6", "--services", "100", "--kms", "ACKING");
        assertThat(rc).isZero();
    }
}

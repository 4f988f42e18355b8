package org.qkdnf.bench;

import org.qkdnf.bench.heap.HeapScaleCommand;
import org.qkdnf.bench.nc.NcProvisionCommand;
import org.qkdnf.bench.nc.NcRecoveryCommand;
import org.qkdnf.bench.sq.SqLoadCommand;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * Entry point of the bench jar: {@code sq-load}, {@code heap-scale}, {@code nc-provision} and
 * {@code nc-recovery}. JMH micro-benchmarks run
 * from the same jar through {@code org.openjdk.jmh.Main}.
 */
@Command(name = "qkdnf-bench", mixinStandardHelpOptions = true,
        subcommands = {SqLoadCommand.class, HeapScaleCommand.class, NcProvisionCommand.class, NcRecoveryCommand.class},
        description = "Load and scale benchmarks of the QKDN controller.")
public final class BenchMain {

    private BenchMain() {
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new BenchMain()).execute(args));
    }
}

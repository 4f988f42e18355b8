package org.qkdnf.bench.nc;

import picocli.CommandLine.Option;

/** The options of the {@link NcBed} the Nc harnesses share: its size, each service's rate, its key managers. */
final class NcBedOptions {

    @Option(names = "--nodes", defaultValue = "16", description = "Nodes (one kms-agent each). Default: ${DEFAULT-VALUE}.")
    int nodes;

    @Option(names = "--links-per-node", defaultValue = "4", description = "Ring lattice degree. Default: ${DEFAULT-VALUE}.")
    int linksPerNode;

    @Option(names = "--rate-bps", defaultValue = "1000", description = "min_bandwidth_bps per service. Default: ${DEFAULT-VALUE}.")
    long rateBps;

    @Option(names = "--kms", defaultValue = "REAL",
            description = "REAL (kms-agents) or ACKING (Sk clients that answer OK at once, to isolate the controller). "
                    + "Default: ${DEFAULT-VALUE}.")
    NcBed.Kms kms;

    /** A bed of this size, every link at 1 Gbit/s so that capacity never limits. */
    NcBed start() throws Exception {
        return new NcBed(nodes, linksPerNode, 1e9, kms);
    }
}

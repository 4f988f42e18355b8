package org.qkdnf.controller.app.cli;

import java.util.List;

import org.apache.karaf.shell.api.action.Argument;
import org.apache.karaf.shell.api.action.Completion;
import org.apache.karaf.shell.api.action.Option;
import org.onosproject.cli.AbstractShellCommand;
import org.qkdnf.controller.app.codec.KeyServiceJson;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.PathConstraints;

/**
 * The arguments and options that make a key-service spec, shared by {@code qkd-service-add} and
 * {@code qkd-paths}. Values are checked by the key-service manager, whose errors name the field.
 */
public abstract class KeyServiceSpecOptions extends AbstractShellCommand {

    @Argument(index = 0, name = "masterSae", description = "SAE id of the master end", required = true)
    String masterSae = null;

    @Argument(index = 1, name = "masterQkdn", description = "qkdn_id of the master's node", required = true)
    @Completion(QkdNodeIdCompleter.class)
    String masterQkdn = null;

    @Argument(index = 2, name = "slaveSae", description = "SAE id of the slave end", required = true)
    String slaveSae = null;

    @Argument(index = 3, name = "slaveQkdn", description = "qkdn_id of the slave's node", required = true)
    @Completion(QkdNodeIdCompleter.class)
    String slaveQkdn = null;

    @Option(name = "--rate", description = "Key rate to reserve on every link, bit/s (min_bandwidth_bps)", required = true)
    long rate = 0;

    @Option(name = "--max-rate", description = "Key rate the service may use, bit/s (0: the reserved rate)")
    long maxRate = 0;

    @Option(name = "--priority", description = "0..15; higher keeps its rate when capacity is short")
    int priority = 0;

    @Option(name = "--protection", description = "NONE, ONE_PLUS_ONE or RESTORATION", required = true)
    String protection = null;

    @Option(name = "--ttl", description = "Lifetime in seconds (0: unlimited)")
    int ttl = 0;

    @Option(name = "--max-hops", description = "Longest route, in links (0: no limit)")
    int maxHops = 0;

    @Option(name = "--avoid", description = "A qkdn_id the route must not pass (repeatable)", multiValued = true)
    @Completion(QkdNodeIdCompleter.class)
    List<String> avoid = null;

    @Option(name = "--via", description = "A qkdn_id the route must pass, in order (repeatable)", multiValued = true)
    @Completion(QkdNodeIdCompleter.class)
    List<String> via = null;

    /** @throws IllegalArgumentException naming the option, for a protection that is not one of the three */
    KeyServiceSpec spec() {
        PathConstraints.Builder c = PathConstraints.newBuilder().setMaxHops(maxHops);
        if (avoid != null) {
            c.addAllAvoidQkdnIds(avoid);
        }
        if (via != null) {
            c.addAllViaQkdnIds(via);
        }
        return KeyServiceSpec.newBuilder().setMasterSaeId(masterSae).setMasterQkdnId(masterQkdn)
                .setSlaveSaeId(slaveSae).setSlaveQkdnId(slaveQkdn)
                .setQos(AppQos.newBuilder().setMinBandwidthBps(rate).setMaxBandwidthBps(maxRate)
                        .setPriority(priority).setTtlS(ttl))
                .setProtection(KeyServiceJson.protection("--protection", protection))
                .setConstraints(c).build();
    }
}

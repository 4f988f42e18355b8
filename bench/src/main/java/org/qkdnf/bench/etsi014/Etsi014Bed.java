package org.qkdnf.bench.etsi014;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.UUID;

import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.RelayNeighbor;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * The server side of the ETSI 014 load run, all real and in this JVM: a standalone controller, two
 * trusted nodes joined by one simulated QKD link (each with its qkd-agent and its key manager with
 * durable MVStore pools on disk), and one key service from {@code sae-alice} at node 0 to
 * {@code sae-bob} at node 1 whose source keeps {@code bufferBits} relayed ahead of demand. Every
 * connection is mutual TLS on 127.0.0.1, as in the integration tests' key chain.
 */
final class Etsi014Bed implements AutoCloseable {

    static final String PROVIDER = "bench-provider";
    static final String MASTER = "sae-alice";
    static final String SLAVE = "sae-bob";

    final Path dir;
    final DevCertificateAuthority ca = DevCertificateAuthority.create(PROVIDER);
    final String[] nodes = {UUID.nameUUIDFromBytes("bench-node-0".getBytes()).toString(),
        UUID.nameUUIDFromBytes("bench-node-1".getBytes()).toString()};
    final String link = UUID.nameUUIDFromBytes("bench-link-0".getBytes()).toString();
    final KmsAgent[] kms = new KmsAgent[2];
    final QkdAgent[] agents = new QkdAgent[2];
    final TlsFiles master;
    final TlsFiles slave;
    private final StandaloneController controller;

    /**
     * @param dir         where stores and certificates go (a real disk: the pools fsync)
     * @param lengthKm    fibre length of the link (shorter: more key per second)
     * @param laneMaxBits most unconsumed key per lane of the link, bits
     * @param bufferBits  key the source keeps relayed ahead of demand, bits
     */
    Etsi014Bed(Path dir, double lengthKm, long laneMaxBits, long bufferBits) throws Exception {
        this.dir = dir;
        StandaloneController c = null;
        try {
            c = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1").sqPort(0)
                    .tls(issue("controller", Role.CONTROLLER)).dataDir(dir.resolve("controller")).build());
            for (int i = 0; i < 2; i++) {
                kms[i] = KmsAgent.start(new KmsAgentConfig(nodes[i], "kme-" + i, dir.resolve("kms-" + i),
                        issue(nodes[i], Role.KMS), any(), any(), any(), laneMaxBits));
            }
            for (int i = 0; i < 2; i++) {
                int j = 1 - i;
                kms[i].addPeer(nodes[j], "127.0.0.1:" + kms[j].controlPort());
                kms[i].addNeighbor(new RelayNeighbor(nodes[j], link, "127.0.0.1", kms[j].relayPort()));
            }
            KeySeed seed = KeySeed.random();
            for (int i = 0; i < 2; i++) {
                int j = 1 - i;
                AgentConfig.Module m = new AgentConfig.Module(iface(i), i == 0 ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER
                        : PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, nodes[j], iface(j),
                        new ChannelParameters(lengthKm, 0.2, 0.2, 1e-6, 0.015, 1e9), FibreSchedule.NONE, seed,
                        1 << 16, new AgentConfig.Link(link, true));
                agents[i] = QkdAgent.start(new AgentConfig(new AgentConfig.Node(nodes[i], "n" + i, null),
                        "127.0.0.1:" + c.sqPort(), issue(nodes[i], Role.QKD_NODE), 500, 0.08,
                        null, null, List.of(m), "127.0.0.1:" + kms[i].controlPort()), Clock.systemUTC());
            }
            KeyServiceDefinition service = new KeyServiceDefinition(UUID.randomUUID(), MASTER, SLAVE, List.of(nodes),
                    List.of(link), bufferBits);
            for (KmsAgent k : kms) {
                k.services().install(service);
            }
            master = issue(MASTER, Role.SAE);
            slave = issue(SLAVE, Role.SAE);
        } catch (Exception | Error e) {
            controller = c;
            close();
            throw e;
        }
        controller = c;
    }

    /** Keys of the default size (256 bits) the master's KME holds relayed and ready. */
    long storedKeys() {
        try {
            return kms[0].services().status(MASTER, SLAVE).storedKeyCount();
        } catch (KeyDeliveryException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Key bits the source has relayed to the destination so far. */
    long bitsRelayed() {
        return kms[0].services().counters().bitsRelayed();
    }

    int masterPort() {
        return kms[0].etsi014Port();
    }

    int slavePort() {
        return kms[1].etsi014Port();
    }

    private static InetSocketAddress any() {
        return new InetSocketAddress("127.0.0.1", 0);
    }

    private static String iface(int node) {
        return UUID.nameUUIDFromBytes(("bench-iface-" + node).getBytes()).toString();
    }

    private TlsFiles issue(String id, Role role) throws Exception {
        return issue(id + "-" + role.ou(), id, role);
    }

    private TlsFiles issue(String name, String id, Role role) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(id, role, PROVIDER).writeTo(dir.resolve("pki"), name);
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    @Override
    public void close() {
        for (QkdAgent a : agents) {
            if (a != null) {
                a.close();
            }
        }
        for (KmsAgent k : kms) {
            if (k != null) {
                k.close();
            }
        }
        if (controller != null) {
            controller.close();
        }
    }
}

package org.qkdnf.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;

import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.relay.RelayNeighbor;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.ModifyLinkCommand;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * A chain of trusted nodes n0 - n1 - ... joined by metro QKD links (or a ring, which closes the
 * chain with a link n(last) - n0), each node with its qkd-agent and its key manager, plus a
 * controller: every part a real gRPC or HTTPS server or client with mutual TLS on 127.0.0.1. For
 * the key management tests. Link k joins nodes {@code ends[k][0]} (its transmitter) and
 * {@code ends[k][1]}.
 */
final class KeyChain implements AutoCloseable {

    static final String PROVIDER = "it-provider";
    static final long LANE_MAX_BITS = 1L << 24;

    final Path dir;
    final DevCertificateAuthority ca;
    final StandaloneController controller;
    final List<String> nodes = new ArrayList<>();
    final List<String> links = new ArrayList<>();
    final List<int[]> ends = new ArrayList<>();
    final List<TlsFiles> kmsTls = new ArrayList<>();
    final List<TlsFiles> nodeTls = new ArrayList<>();
    final KmsAgent[] kms;
    final QkdAgent[] agents;
    private final List<KeySeed> seeds = new ArrayList<>();
    private final long laneMaxBits;

    KeyChain(Path dir, int size) throws Exception {
        this(dir, size, false, LANE_MAX_BITS);
    }

    /** A chain whose key managers hold at most {@code laneMaxBits} in each lane. */
    KeyChain(Path dir, int size, long laneMaxBits) throws Exception {
        this(dir, size, false, laneMaxBits);
    }

    /** {@code size} nodes in a ring: two node-disjoint routes between any two of them. */
    static KeyChain ring(Path dir, int size) throws Exception {
        return new KeyChain(dir, size, true, LANE_MAX_BITS);
    }

    private KeyChain(Path dir, int size, boolean ring, long laneMaxBits) throws Exception {
        this.dir = dir;
        this.laneMaxBits = laneMaxBits;
        this.ca = DevCertificateAuthority.create(PROVIDER);
        controller = StandaloneController.start(StandaloneControllerConfig.builder().sqHost("127.0.0.1").sqPort(0)
                .tls(issue("controller", Role.CONTROLLER)).dataDir(dir.resolve("controller")).build());
        for (int i = 0; i < size; i++) {
            nodes.add(UUID.nameUUIDFromBytes(("node-" + i).getBytes()).toString());
            kmsTls.add(issue(nodes.get(i), Role.KMS));
            nodeTls.add(issue(nodes.get(i), Role.QKD_NODE));
        }
        for (int i = 0; i < (ring ? size : size - 1); i++) {
            links.add(UUID.nameUUIDFromBytes(("link-" + i).getBytes()).toString());
            ends.add(new int[] {i, (i + 1) % size});
            seeds.add(KeySeed.random());
        }
        kms = new KmsAgent[size];
        agents = new QkdAgent[size];
        for (int i = 0; i < size; i++) {
            startKms(i);
        }
        for (int i = 0; i < size; i++) {
            startAgent(i);
        }
    }

    /**
     * The lanes (directions) the controller admits on: per link, from its first end to its second
     * (the way a service from node 0 up the chain relays), then back.
     */
    List<String> lanes() {
        List<String> out = new ArrayList<>(forwardLanes());
        for (int k = 0; k < links.size(); k++) {
            out.add(LaneIds.of(links.get(k), nodes.get(ends.get(k)[1])));
        }
        return out;
    }

    /** Per link, the lane from its first end to its second. */
    List<String> forwardLanes() {
        List<String> out = new ArrayList<>();
        for (int k = 0; k < links.size(); k++) {
            out.add(LaneIds.of(links.get(k), nodes.get(ends.get(k)[0])));
        }
        return out;
    }

    TlsFiles issue(String id, Role role) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(id, role, PROVIDER).writeTo(dir.resolve("pki"), id + "-" + role.ou());
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    void startKms(int i) throws Exception {
        int[] ports = kms[i] == null ? new int[] {0, 0, 0}
                : new int[] {kms[i].controlPort(), kms[i].relayPort(), kms[i].etsi014Port()};
        kms[i] = KmsAgent.start(new KmsAgentConfig(nodes.get(i), "kme-" + i, dir.resolve("kms-" + i), kmsTls.get(i),
                new InetSocketAddress("127.0.0.1", ports[0]), new InetSocketAddress("127.0.0.1", ports[1]),
                new InetSocketAddress("127.0.0.1", ports[2]), laneMaxBits));
        wire();
    }

    /** Tells every running key manager where its neighbours and peers are. */
    void wire() {
        for (int i = 0; i < kms.length; i++) {
            if (kms[i] == null) {
                continue;
            }
            for (int j = 0; j < kms.length; j++) {
                if (j != i && kms[j] != null) {
                    kms[i].addPeer(nodes.get(j), "127.0.0.1:" + kms[j].controlPort());
                }
            }
            for (int k = 0; k < links.size(); k++) {
                int other = farEnd(k, i);
                if (other >= 0 && kms[other] != null) {
                    kms[i].addNeighbor(new RelayNeighbor(nodes.get(other), links.get(k), "127.0.0.1",
                            kms[other].relayPort()));
                }
            }
        }
    }

    void startAgent(int i) throws Exception {
        List<AgentConfig.Module> modules = new ArrayList<>();
        for (int k = 0; k < links.size(); k++) {
            int other = farEnd(k, i);
            if (other >= 0) {
                modules.add(module(i, other, k, ends.get(k)[0] == i ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER
                        : PhysQkdRole.PHYS_QKD_ROLE_RECEIVER));
            }
        }
        agents[i] = QkdAgent.start(new AgentConfig(new AgentConfig.Node(nodes.get(i), "n" + i, null),
                "127.0.0.1:" + controller.sqPort(), nodeTls.get(i), 500, 0.08, null, null, modules,
                "127.0.0.1:" + kms[i].controlPort()), Clock.systemUTC());
    }

    /** The node at the other end of link {@code k} from {@code node}, or -1 when the link does not touch it. */
    private int farEnd(int k, int node) {
        int[] e = ends.get(k);
        return e[0] == node ? e[1] : e[1] == node ? e[0] : -1;
    }

    private AgentConfig.Module module(int self, int other, int link, PhysQkdRole role) {
        return new AgentConfig.Module(iface(self, link), role, nodes.get(other), iface(other, link),
                new ChannelParameters(10, 0.2, 0.2, 1e-6, 0.015, 1e9), FibreSchedule.NONE, seeds.get(link), 8192,
                new AgentConfig.Link(links.get(link), true));
    }

    private static String iface(int node, int link) {
        return UUID.nameUUIDFromBytes(("iface-" + node + "-" + link).getBytes()).toString();
    }

    /**
     * Cuts link {@code qkdlId} (or splices it again) the way an operator would through the
     * controller: Sq ModifyLink to its transmitter's agent, whose module stops generating key, so
     * the agents report the link OFF.
     */
    void setLinkEnabled(String qkdlId, boolean enabled) throws Exception {
        String node = nodes.get(ends.get(links.indexOf(qkdlId))[0]);
        CommandResult r = controller.commandService().submit(node, ControllerCommand.newBuilder()
                .setModifyLink(ModifyLinkCommand.newBuilder().setQkdlId(qkdlId).setQkdlEnable(enabled)).build(),
                java.time.Duration.ofSeconds(10)).get(15, TimeUnit.SECONDS);
        if (r.getResult().getCode() != 0) {
            throw new IllegalStateException("ModifyLink " + qkdlId + " enable=" + enabled + " refused: " + r);
        }
    }

    /** Registers every key manager with the controller over Sk, reporting every {@code interval}. */
    void connectKeyManagersToController(java.time.Duration interval) {
        for (KmsAgent k : kms) {
            k.connectController("127.0.0.1:" + controller.sqPort(), interval);
        }
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
        controller.close();
    }
}

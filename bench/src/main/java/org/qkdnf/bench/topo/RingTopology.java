package org.qkdnf.bench.topo;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import com.google.protobuf.Timestamp;

import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.PhysPerf;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdInterface;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdLinkEnd;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdiStatus;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.QkdnStatus;

/**
 * A synthetic QKD network: {@code nodes} nodes on a ring, each joined by PHYS links to its
 * {@code degree / 2} nearest neighbours on either side (a ring lattice), so every node reports
 * {@code degree} links and every link is reported by both of its ends. Gives
 * {@code nodes * degree / 2} links: 1,000 nodes of degree 2 make 1,000 links; 10,000 nodes of
 * degree 6 make 30,000.
 *
 * <p>Ids are name-based UUIDs, so two runs build the same network. Immutable and thread-safe; the
 * messages it builds are valid for {@code SqValidator} (UUID ids, 015 statuses, local interface
 * listed, {@code phys_qkd_role} set).
 */
public final class RingTopology {

    private final int nodes;
    private final int degree;
    private final List<String> nodeIds;

    /**
     * @param nodes  at least {@code degree + 1}, so that no two links join the same pair
     * @param degree links per node, even and at least 2
     */
    public RingTopology(int nodes, int degree) {
        if (degree < 2 || degree % 2 != 0) {
            throw new IllegalArgumentException("degree: must be even and >= 2, was " + degree);
        }
        if (nodes < degree + 1) {
            throw new IllegalArgumentException("nodes: need at least degree + 1 = " + (degree + 1) + ", was " + nodes);
        }
        this.nodes = nodes;
        this.degree = degree;
        List<String> ids = new ArrayList<>(nodes);
        for (int i = 0; i < nodes; i++) {
            ids.add(uuid("node/" + i));
        }
        this.nodeIds = Collections.unmodifiableList(ids);
    }

    public int nodeCount() {
        return nodes;
    }

    /** Links each node reports (= PerformanceReport entries per report). */
    public int degree() {
        return degree;
    }

    public int linkCount() {
        return nodes * degree / 2;
    }

    public String nodeId(int node) {
        return nodeIds.get(node);
    }

    /**
     * The link ids of {@code node}, in the order its reports list them: first the links it opens
     * towards {@code node+1 .. node+degree/2} (it transmits), then those opened by
     * {@code node-1 .. node-degree/2} (it receives).
     */
    public List<String> linkIdsOf(int node) {
        List<String> ids = new ArrayList<>(degree);
        for (int d = 1; d <= degree / 2; d++) {
            ids.add(linkId(node, d));
        }
        for (int d = 1; d <= degree / 2; d++) {
            ids.add(linkId(Math.floorMod(node - d, nodes), d));
        }
        return ids;
    }

    /** The full inventory of {@code node}: one UP interface per link, all links ACTIVE. */
    public QkdNode inventory(int node) {
        String self = nodeId(node);
        QkdNode.Builder b = QkdNode.newBuilder().setQkdnId(self).setQkdnName("bench-" + node)
                .setQkdnStatus(QkdnStatus.QKDN_STATUS_OPERATING).setQkdnVersion("bench");
        for (int d = 1; d <= degree / 2; d++) {
            addLink(b, linkId(node, d), self, nodeId((node + d) % nodes), PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER);
        }
        for (int d = 1; d <= degree / 2; d++) {
            int opener = Math.floorMod(node - d, nodes);
            addLink(b, linkId(opener, d), self, nodeId(opener), PhysQkdRole.PHYS_QKD_ROLE_RECEIVER);
        }
        return b.build();
    }

    /** One link's performance entry, measured at {@code measuredAtMicros} (epoch microseconds). */
    public static LinkPerformance performance(String linkId, long measuredAtMicros, long keyVolumeBits) {
        return LinkPerformance.newBuilder().setQkdlId(linkId).setQkdlStatus(QkdlStatus.QKDL_STATUS_ACTIVE)
                .setSkrBps(1200).setEskrBps(1250)
                .setPhysPerf(PhysPerf.newBuilder().setQber(0.021).setSnrDb(0))
                .setKeyVolumeBits(keyVolumeBits)
                .setMeasuredAt(Timestamp.newBuilder()
                        .setSeconds(Math.floorDiv(measuredAtMicros, 1_000_000L))
                        .setNanos((int) Math.floorMod(measuredAtMicros, 1_000_000L) * 1000))
                .build();
    }

    private static void addLink(QkdNode.Builder b, String linkId, String self, String peer, PhysQkdRole role) {
        String localIf = interfaceId(self, linkId);
        b.addQkdInterfaces(QkdInterface.newBuilder().setQkdiId(localIf).setQkdiStatus(QkdiStatus.QKDI_STATUS_UP)
                .setQkdiModel("bench").setQkdiType("DV-QKD decoy-state BB84").setRoleSupport(role));
        b.addQkdLinks(QkdLink.newBuilder().setQkdlId(linkId).setQkdlEnable(true)
                .setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(self).setQkdiId(localIf))
                .setQkdlRemote(QkdLinkEnd.newBuilder().setQkdnId(peer).setQkdiId(interfaceId(peer, linkId)))
                .setQkdlType(QkdlType.QKDL_TYPE_PHYS).setQkdlStatus(QkdlStatus.QKDL_STATUS_ACTIVE)
                .setPhysQkdRole(role).setPhysWavelengthNm(1550).setPhysChannelAttDb(6).setLengthKm(30));
    }

    /** The link that {@code opener} opens towards {@code opener + distance}. */
    private String linkId(int opener, int distance) {
        return uuid("link/" + opener + "/" + distance);
    }

    private static String interfaceId(String nodeId, String linkId) {
        return uuid("if/" + nodeId + "/" + linkId);
    }

    private static String uuid(String name) {
        return UUID.nameUUIDFromBytes(("qkdnf-bench/" + name).getBytes(StandardCharsets.UTF_8)).toString();
    }
}

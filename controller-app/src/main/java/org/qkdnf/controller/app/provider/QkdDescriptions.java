package org.qkdnf.controller.app.provider;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

import org.onlab.packet.ChassisId;
import org.onosproject.net.ConnectPoint;
import org.onosproject.net.DefaultAnnotations;
import org.onosproject.net.Device;
import org.onosproject.net.DeviceId;
import org.onosproject.net.Link;
import org.onosproject.net.Port;
import org.onosproject.net.PortNumber;
import org.onosproject.net.device.DefaultDeviceDescription;
import org.onosproject.net.device.DefaultPortDescription;
import org.onosproject.net.device.DeviceDescription;
import org.onosproject.net.device.PortDescription;
import org.onosproject.net.link.DefaultLinkDescription;
import org.onosproject.net.link.LinkDescription;
import org.onosproject.net.provider.ProviderId;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.app.codec.TopologyJson;
import org.qkdnf.proto.southbound.v1.QkdInterface;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdiStatus;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * How the QKD network looks in ONOS's topology. A QKD node is a device {@code qkd:<qkdn_id>} of type
 * OTHER; each of its QKD interfaces is a port whose number is derived from the qkdi_id (so it is
 * the same on every instance and after every restart) and whose name is the qkdi_id; a QKD link is
 * a pair of DIRECT links (ONOS links are one-way) between the ports of its two ends. Annotations
 * carry the 015 ids and figures. Stateless; thread-safe.
 */
public final class QkdDescriptions {

    /** The providers' id: scheme {@code qkd}, as the device URIs. */
    public static final ProviderId PROVIDER_ID = new ProviderId("qkd", "org.qkdnf.controller");
    static final String QKDN_ID = "qkdnId";
    static final String QKDI_ID = "qkdiId";
    static final String QKDL_ID = "qkdlId";

    private QkdDescriptions() {
    }

    public static DeviceId deviceId(String qkdnId) {
        return DeviceId.deviceId(PROVIDER_ID.scheme() + ":" + qkdnId);
    }

    /** A positive number from the interface's UUID; the name keeps the full qkdi_id. */
    public static PortNumber port(String qkdiId) {
        UUID u = UUID.fromString(qkdiId);
        long n = (u.getLeastSignificantBits() ^ u.getMostSignificantBits()) & 0x7fff_ffffL;
        return PortNumber.portNumber(n == 0 ? 1 : n, qkdiId);
    }

    static DeviceDescription device(QkdNodeInfo n) {
        DefaultAnnotations a = DefaultAnnotations.builder()
                .set(QKDN_ID, n.qkdnId())
                .set("qkdnName", n.node().getQkdnName())
                .set("qkdnStatus", TopologyJson.name(n.node().getQkdnStatus(), "QKDN_STATUS_"))
                .set("agentConnected", Boolean.toString(n.agentConnected()))
                .set("links", Integer.toString(n.node().getQkdLinksCount()))
                .build();
        return new DefaultDeviceDescription(URI.create(deviceId(n.qkdnId()).toString()), Device.Type.OTHER, "qkdnf",
                "QKD node", n.node().getQkdnVersion(), n.qkdnId(), new ChassisId(), n.agentConnected(), a);
    }

    static List<PortDescription> ports(QkdNodeInfo n) {
        List<PortDescription> out = new ArrayList<>();
        for (QkdInterface i : n.node().getQkdInterfacesList()) {
            out.add(DefaultPortDescription.builder().withPortNumber(port(i.getQkdiId()))
                    .isEnabled(i.getQkdiStatus() == QkdiStatus.QKDI_STATUS_UP).type(Port.Type.FIBER)
                    .annotations(DefaultAnnotations.builder().set(QKDI_ID, i.getQkdiId())
                            .set("qkdiModel", i.getQkdiModel()).set("qkdiType", i.getQkdiType()).build())
                    .build());
        }
        return out;
    }

    /**
     * Both directions of a QKD link, once both ends' nodes and interfaces are known; empty before.
     * Each end's interface comes from its own report, or from the other end's view of it.
     */
    static List<LinkDescription> links(QkdLinkInfo l) {
        if (l.nodeIdA() == null || l.nodeIdB() == null || l.nodeIdA().equals(l.nodeIdB())) {
            return List.of();
        }
        Optional<String> ia = interfaceOf(l, l.nodeIdA(), l.nodeIdB());
        Optional<String> ib = interfaceOf(l, l.nodeIdB(), l.nodeIdA());
        if (ia.isEmpty() || ib.isEmpty()) {
            return List.of();
        }
        ConnectPoint a = new ConnectPoint(deviceId(l.nodeIdA()), port(ia.get()));
        ConnectPoint b = new ConnectPoint(deviceId(l.nodeIdB()), port(ib.get()));
        DefaultAnnotations.Builder ann = DefaultAnnotations.builder()
                .set(QKDL_ID, l.qkdlId())
                .set("qkdlStatus", TopologyJson.name(l.status(), "QKDL_STATUS_"))
                .set("degraded", Boolean.toString(l.degraded()))
                .set("qkdlType", TopologyJson.name(l.link().getQkdlType(), "QKDL_TYPE_"));
        if (l.hasPerformance()) {
            ann.set("skrBps", Long.toString((long) l.skrBps())).set("qber", Double.toString(l.qber()));
        }
        DefaultAnnotations annotations = ann.build();
        return List.of(new DefaultLinkDescription(a, b, Link.Type.DIRECT, annotations),
                new DefaultLinkDescription(b, a, Link.Type.DIRECT, annotations));
    }

    /** The ONOS link keys of a QKD link (empty before both ends are known). */
    static java.util.Set<org.onosproject.net.LinkKey> keys(QkdLinkInfo l) {
        java.util.Set<org.onosproject.net.LinkKey> out = new java.util.HashSet<>();
        for (LinkDescription d : links(l)) {
            out.add(org.onosproject.net.LinkKey.linkKey(d.src(), d.dst()));
        }
        return out;
    }

    /** Whether ONOS should show the link as usable: ACTIVE and not degraded. */
    static boolean usable(QkdLinkInfo l) {
        return l.status() == QkdlStatus.QKDL_STATUS_ACTIVE && !l.degraded();
    }

    private static Optional<String> interfaceOf(QkdLinkInfo l, String node, String other) {
        Optional<QkdLink> own = l.reportOf(node);
        if (own.isPresent() && !own.get().getQkdlLocal().getQkdiId().isEmpty()) {
            return Optional.of(own.get().getQkdlLocal().getQkdiId());
        }
        return l.reportOf(other).map(r -> r.getQkdlRemote().getQkdiId()).filter(s -> !s.isEmpty());
    }
}

package org.qkdnf.controller.app.testing;

import java.time.Instant;
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

/** Builds valid 015 messages for tests (as controller-core's tests do; test classes are not shared between modules). */
public final class TestTopology {

    private TestTopology() {
    }

    public static String id() {
        return UUID.randomUUID().toString();
    }

    /** Deterministic interface id of {@code node}'s module on {@code link}. */
    public static String ifaceId(String node, String link) {
        return UUID.nameUUIDFromBytes((node + "/" + link).getBytes(java.nio.charset.StandardCharsets.UTF_8)).toString();
    }

    public static QkdLink linkEnd(String link, String local, String remote, QkdlStatus status) {
        return QkdLink.newBuilder()
                .setQkdlId(link)
                .setQkdlEnable(true)
                .setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(local).setQkdiId(ifaceId(local, link)))
                .setQkdlRemote(QkdLinkEnd.newBuilder().setQkdnId(remote).setQkdiId(ifaceId(remote, link)))
                .setQkdlType(QkdlType.QKDL_TYPE_PHYS)
                .setQkdlStatus(status)
                .setPhysChannelAttDb(5)
                .setPhysWavelengthNm(1550)
                .setPhysQkdRole(local.compareTo(remote) < 0 ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER
                        : PhysQkdRole.PHYS_QKD_ROLE_RECEIVER)
                .setLengthKm(25)
                .build();
    }

    /** A node with the given link ends (each end's local node must be {@code node}). */
    public static QkdNode node(String node, QkdLink... links) {
        QkdNode.Builder b = QkdNode.newBuilder()
                .setQkdnId(node)
                .setQkdnName("node-" + node.substring(0, 8))
                .setQkdnStatus(QkdnStatus.QKDN_STATUS_OPERATING)
                .setQkdnVersion("test");
        for (QkdLink l : links) {
            b.addQkdInterfaces(QkdInterface.newBuilder()
                    .setQkdiId(l.getQkdlLocal().getQkdiId())
                    .setQkdiModel("sim")
                    .setQkdiType("DV-QKD decoy-state BB84")
                    .setQkdiStatus(QkdiStatus.QKDI_STATUS_UP)
                    .setRoleSupport(PhysQkdRole.PHYS_QKD_ROLE_TRANSCEIVER)
                    .setWavelengthRangeMinNm(1500)
                    .setWavelengthRangeMaxNm(1600)
                    .setMaxAbsorptionDb(30));
            b.addQkdLinks(l);
        }
        return b.build();
    }

    public static LinkPerformance perf(String link, QkdlStatus status, double skr, double qber) {
        Instant now = Instant.now();
        return LinkPerformance.newBuilder()
                .setQkdlId(link)
                .setQkdlStatus(status)
                .setSkrBps(skr)
                .setEskrBps(skr)
                .setPhysPerf(PhysPerf.newBuilder().setQber(qber))
                .setKeyVolumeBits(1000)
                .setMeasuredAt(Timestamp.newBuilder().setSeconds(now.getEpochSecond()).setNanos(now.getNano()))
                .build();
    }
}

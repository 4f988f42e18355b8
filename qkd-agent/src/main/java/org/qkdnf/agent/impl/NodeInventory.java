package org.qkdnf.agent.impl;

import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

import com.google.protobuf.Timestamp;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.driver.ModuleInfo;
import org.qkdnf.agent.driver.ModuleReading;
import org.qkdnf.agent.driver.QkdModuleDriver;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.PhysPerf;
import org.qkdnf.proto.southbound.v1.QkdInterface;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdLinkEnd;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdiAttachmentPoint;
import org.qkdnf.proto.southbound.v1.QkdiStatus;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.QkdnCapabilities;
import org.qkdnf.proto.southbound.v1.QkdnStatus;

/**
 * The node's modules and links, and their ETSI GS QKD 015 representation on Sq. Owned by the
 * agent loop thread.
 */
final class NodeInventory {

    static final String AGENT_VERSION = "qkdnf-qkd-agent/0.1.0";

    private final AgentConfig.Node node;
    private final Map<String, ModuleSlot> modules = new LinkedHashMap<>();

    NodeInventory(AgentConfig.Node node) {
        this.node = node;
    }

    void add(AgentConfig.Module config, QkdModuleDriver driver) {
        modules.put(config.qkdiId(), new ModuleSlot(config, driver));
    }

    String qkdnId() {
        return node.qkdnId();
    }

    Collection<ModuleSlot> modules() {
        return modules.values();
    }

    Optional<ModuleSlot> module(String qkdiId) {
        return Optional.ofNullable(modules.get(qkdiId));
    }

    Optional<ModuleSlot> byLink(String qkdlId) {
        for (ModuleSlot s : modules.values()) {
            if (qkdlId.equals(s.qkdlId)) {
                return Optional.of(s);
            }
        }
        return Optional.empty();
    }

    /** Reads every module with a link at {@code now}. */
    void readAll(Instant now) {
        for (ModuleSlot s : modules.values()) {
            if (s.hasLink()) {
                s.reading = s.driver.read(now);
            }
        }
    }

    QkdNode qkdNode(Instant now) {
        QkdNode.Builder b = QkdNode.newBuilder()
                .setQkdnId(node.qkdnId())
                .setQkdnName(node.name())
                .setQkdnStatus(QkdnStatus.QKDN_STATUS_OPERATING)
                .setQkdnVersion(AGENT_VERSION)
                .setQkdnCapabilities(QkdnCapabilities.newBuilder().setLinkStatsSupport(true));
        if (node.location() != null) {
            b.setQkdnLocation(node.location());
        }
        int port = 0;
        for (ModuleSlot s : modules.values()) {
            ModuleInfo info = s.driver.info();
            QkdiAttachmentPoint.Builder att = QkdiAttachmentPoint.newBuilder().setDevice(node.name()).setPort("qkd" + port++);
            b.addQkdInterfaces(QkdInterface.newBuilder()
                    .setQkdiId(s.config.qkdiId())
                    .setQkdiModel(info.model())
                    .setQkdiType(info.type())
                    .setQkdiAttPoint(att)
                    .setQkdiStatus(QkdiStatus.QKDI_STATUS_UP)
                    .setRoleSupport(info.role())
                    .setWavelengthRangeMinNm(info.wavelengthRangeMinNm())
                    .setWavelengthRangeMaxNm(info.wavelengthRangeMaxNm())
                    .setMaxAbsorptionDb(info.maxAbsorptionDb()));
            if (s.hasLink()) {
                b.addQkdLinks(qkdLink(s, now));
            }
        }
        return b.build();
    }

    QkdLink qkdLink(ModuleSlot s, Instant now) {
        ModuleReading r = s.reading;
        return QkdLink.newBuilder()
                .setQkdlId(s.qkdlId)
                .setQkdlEnable(s.enabled)
                .setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(node.qkdnId()).setQkdiId(s.config.qkdiId()))
                .setQkdlRemote(QkdLinkEnd.newBuilder().setQkdnId(s.config.remoteQkdnId())
                        .setQkdiId(s.config.remoteQkdiId()))
                .setQkdlType(QkdlType.QKDL_TYPE_PHYS)
                .setQkdlStatus(r.status())
                .setPhysChannelAttDb(finiteAttenuation(r))
                .setPhysWavelengthNm(s.wavelengthNm)
                .setPhysQkdRole(s.config.role())
                .setLengthKm(s.config.channel() == null ? 0 : s.config.channel().lengthKm())  // a device: not known
                .setPerformance(instantPerformance(s, now))
                .build();
    }

    /** Performance at one instant (for notifications and inventories): the model's rate. */
    LinkPerformance instantPerformance(ModuleSlot s, Instant now) {
        ModuleReading r = s.reading;
        double skr = r.status() == QkdlStatus.QKDL_STATUS_ACTIVE ? r.eskrBps() : 0;
        return performance(s, r, skr, now);
    }

    /**
     * The periodic report: per link, skr measured as the key produced since the previous report
     * divided by the time since then.
     */
    PerformanceReport performanceReport(Instant now) {
        PerformanceReport.Builder b = PerformanceReport.newBuilder();
        for (ModuleSlot s : modules.values()) {
            if (!s.hasLink()) {
                continue;
            }
            ModuleReading r = s.reading;
            double seconds = (now.toEpochMilli() - s.lastReportAt.toEpochMilli()) / 1000.0;
            double skr = seconds > 0 ? Math.max(0, r.keyVolumeBits() - s.volumeAtLastReport) / seconds : 0;
            s.volumeAtLastReport = r.keyVolumeBits();
            s.lastReportAt = now;
            b.addLinks(performance(s, r, skr, now));
        }
        return b.build();
    }

    private static LinkPerformance performance(ModuleSlot s, ModuleReading r, double skrBps, Instant now) {
        return LinkPerformance.newBuilder()
                .setQkdlId(s.qkdlId)
                .setQkdlStatus(r.status())
                .setSkrBps(skrBps)
                .setEskrBps(r.eskrBps())
                .setPhysPerf(PhysPerf.newBuilder().setQber(r.qber()))
                .setKeyVolumeBits(r.keyVolumeBits())
                .setMeasuredAt(timestamp(now))
                .build();
    }

    /** A cut fibre's attenuation is infinite; 015 has no such value, so the cap stands for "no light". */
    private static double finiteAttenuation(ModuleReading r) {
        return Double.isFinite(r.channelAttDb()) ? r.channelAttDb() : 1000;
    }

    static Timestamp timestamp(Instant t) {
        return Timestamp.newBuilder().setSeconds(t.getEpochSecond()).setNanos(t.getNano()).build();
    }
}

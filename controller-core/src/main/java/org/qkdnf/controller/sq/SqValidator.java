package org.qkdnf.controller.sq;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import com.google.protobuf.Timestamp;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.proto.common.v1.GeoLocation;
import org.qkdnf.proto.southbound.v1.AgentCapabilities;
import org.qkdnf.proto.southbound.v1.AlarmSeverity;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.Hello;
import org.qkdnf.proto.southbound.v1.Inventory;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.Notification;
import org.qkdnf.proto.southbound.v1.NotificationType;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdInterface;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdNode;
import org.qkdnf.proto.southbound.v1.QkdiStatus;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.QkdnStatus;

/**
 * Checks every field of every agent message. A violation is an INVALID_ARGUMENT
 * {@link StatusRuntimeException} whose description starts with the field's path, for example
 * {@code inventory.qkd_node.qkd_links[2].qkdl_id: not a UUID}. Stateless and thread-safe.
 *
 * <p>Rules: ids are canonical UUIDs; enums are known and not UNSPECIFIED where a value is required;
 * numbers are finite and in range (QBER in [0, 0.5], rates and lengths >= 0, latitude/longitude in
 * their ranges); free text is bounded ({@value #MAX_TEXT} characters); timestamps are valid.
 */
public final class SqValidator {

    static final int MAX_TEXT = 1024;
    static final int MAX_ITEMS = 4096;

    private SqValidator() {
    }

    public static void hello(Hello h) {
        uuid(h.getQkdnId(), "hello.qkdn_id");
        text(h.getAgentVersion(), "hello.agent_version", true);
        text(h.getAgentInstanceId(), "hello.agent_instance_id", true);
        AgentCapabilities c = h.getCapabilities();
        text(c.getDriver(), "hello.capabilities.driver", false);
    }

    public static void inventory(Inventory inv) {
        if (!inv.hasQkdNode()) {
            throw invalid("inventory.qkd_node: required");
        }
        node(inv.getQkdNode(), "inventory.qkd_node");
    }

    static void node(QkdNode n, String f) {
        uuid(n.getQkdnId(), f + ".qkdn_id");
        text(n.getQkdnName(), f + ".qkdn_name", true);
        if (n.hasQkdnLocation()) {
            GeoLocation g = n.getQkdnLocation();
            range(g.getLatitudeDeg(), -90, 90, f + ".qkdn_location.latitude_deg");
            range(g.getLongitudeDeg(), -180, 180, f + ".qkdn_location.longitude_deg");
            text(g.getRegion(), f + ".qkdn_location.region", false);
        }
        if (n.getQkdnStatus() == QkdnStatus.QKDN_STATUS_UNSPECIFIED || n.getQkdnStatus() == QkdnStatus.UNRECOGNIZED) {
            throw invalid(f + ".qkdn_status: must be NEW, OPERATING, DOWN, FAILURE or OUT");
        }
        text(n.getQkdnVersion(), f + ".qkdn_version", false);
        count(n.getQkdInterfacesCount(), f + ".qkd_interfaces");
        count(n.getQkdLinksCount(), f + ".qkd_links");
        Set<String> interfaces = new HashSet<>();
        List<QkdInterface> ifs = n.getQkdInterfacesList();
        for (int i = 0; i < ifs.size(); i++) {
            QkdInterface q = ifs.get(i);
            String fi = f + ".qkd_interfaces[" + i + "]";
            uuid(q.getQkdiId(), fi + ".qkdi_id");
            if (!interfaces.add(q.getQkdiId())) {
                throw invalid(fi + ".qkdi_id: duplicate " + q.getQkdiId());
            }
            text(q.getQkdiModel(), fi + ".qkdi_model", false);
            text(q.getQkdiType(), fi + ".qkdi_type", false);
            text(q.getQkdiAttPoint().getDevice(), fi + ".qkdi_att_point.device", false);
            text(q.getQkdiAttPoint().getPort(), fi + ".qkdi_att_point.port", false);
            if (q.getQkdiStatus() == QkdiStatus.QKDI_STATUS_UNSPECIFIED || q.getQkdiStatus() == QkdiStatus.UNRECOGNIZED) {
                throw invalid(fi + ".qkdi_status: must be UP, DOWN, FAILURE or OUT");
            }
            if (q.getRoleSupport() == PhysQkdRole.UNRECOGNIZED) {
                throw invalid(fi + ".role_support: unknown value");
            }
            nonNegative(q.getWavelengthRangeMinNm(), fi + ".wavelength_range_min_nm");
            nonNegative(q.getWavelengthRangeMaxNm(), fi + ".wavelength_range_max_nm");
            if (q.getWavelengthRangeMaxNm() < q.getWavelengthRangeMinNm()) {
                throw invalid(fi + ".wavelength_range_max_nm: below wavelength_range_min_nm");
            }
            nonNegative(q.getMaxAbsorptionDb(), fi + ".max_absorption_db");
        }
        Set<String> links = new HashSet<>();
        List<QkdLink> ls = n.getQkdLinksList();
        for (int i = 0; i < ls.size(); i++) {
            QkdLink l = ls.get(i);
            String fl = f + ".qkd_links[" + i + "]";
            link(l, fl, n.getQkdnId(), interfaces);
            if (!links.add(l.getQkdlId())) {
                throw invalid(fl + ".qkdl_id: duplicate " + l.getQkdlId());
            }
        }
    }

    static void link(QkdLink l, String f, String localNode, Set<String> localInterfaces) {
        uuid(l.getQkdlId(), f + ".qkdl_id");
        if (!l.hasQkdlLocal()) {
            throw invalid(f + ".qkdl_local: required");
        }
        if (!l.hasQkdlRemote()) {
            throw invalid(f + ".qkdl_remote: required");
        }
        uuid(l.getQkdlLocal().getQkdnId(), f + ".qkdl_local.qkdn_id");
        uuid(l.getQkdlRemote().getQkdnId(), f + ".qkdl_remote.qkdn_id");
        if (l.getQkdlLocal().getQkdnId().equals(l.getQkdlRemote().getQkdnId())) {
            throw invalid(f + ".qkdl_remote.qkdn_id: equals qkdl_local.qkdn_id; a link joins two nodes");
        }
        if (l.getQkdlType() == QkdlType.QKDL_TYPE_UNSPECIFIED || l.getQkdlType() == QkdlType.UNRECOGNIZED) {
            throw invalid(f + ".qkdl_type: must be PHYS or VIRT");
        }
        boolean phys = l.getQkdlType() == QkdlType.QKDL_TYPE_PHYS;
        if (phys) {
            uuid(l.getQkdlLocal().getQkdiId(), f + ".qkdl_local.qkdi_id");
            uuid(l.getQkdlRemote().getQkdiId(), f + ".qkdl_remote.qkdi_id");
            if (localInterfaces != null && !localInterfaces.contains(l.getQkdlLocal().getQkdiId())) {
                throw invalid(f + ".qkdl_local.qkdi_id: not an interface of node " + localNode);
            }
        } else {
            optionalUuid(l.getQkdlLocal().getQkdiId(), f + ".qkdl_local.qkdi_id");
            optionalUuid(l.getQkdlRemote().getQkdiId(), f + ".qkdl_remote.qkdi_id");
        }
        status(l.getQkdlStatus(), f + ".qkdl_status");
        nonNegative(l.getPhysChannelAttDb(), f + ".phys_channel_att_db");
        nonNegative(l.getPhysWavelengthNm(), f + ".phys_wavelength_nm");
        if (l.getPhysQkdRole() == PhysQkdRole.UNRECOGNIZED) {
            throw invalid(f + ".phys_qkd_role: unknown value");
        }
        if (phys && l.getPhysQkdRole() == PhysQkdRole.PHYS_QKD_ROLE_UNSPECIFIED) {
            throw invalid(f + ".phys_qkd_role: required for a PHYS link");
        }
        nonNegative(l.getLengthKm(), f + ".length_km");
        count(l.getVirtPrevHopCount(), f + ".virt_prev_hop");
        count(l.getVirtNextHopCount(), f + ".virt_next_hop");
        for (int i = 0; i < l.getVirtPrevHopCount(); i++) {
            uuid(l.getVirtPrevHop(i), f + ".virt_prev_hop[" + i + "]");
        }
        for (int i = 0; i < l.getVirtNextHopCount(); i++) {
            uuid(l.getVirtNextHop(i), f + ".virt_next_hop[" + i + "]");
        }
        if (l.hasPerformance()) {
            LinkPerformance p = l.getPerformance();
            if (!p.getQkdlId().isEmpty() && !p.getQkdlId().equals(l.getQkdlId())) {
                throw invalid(f + ".performance.qkdl_id: differs from the link's qkdl_id");
            }
            performanceFigures(p, f + ".performance");
        }
    }

    public static void performanceReport(PerformanceReport r) {
        count(r.getLinksCount(), "performance_report.links");
        for (int i = 0; i < r.getLinksCount(); i++) {
            // The hot path (one entry per link per report interval per agent): check without
            // building field names, and build the name only to report a violation.
            LinkPerformance p = r.getLinks(i);
            if (!performanceIsValid(p)) {
                performance(p, "performance_report.links[" + i + "]");
            }
        }
    }

    /** Allocation-free pre-check; {@link #performance} gives the precise error when it fails. */
    private static boolean performanceIsValid(LinkPerformance p) {
        QkdlStatus s = p.getQkdlStatus();
        Timestamp t = p.getMeasuredAt();
        double qber = p.getPhysPerf().getQber();
        return QkdIds.isUuid(p.getQkdlId())
                && s != QkdlStatus.QKDL_STATUS_UNSPECIFIED && s != QkdlStatus.UNRECOGNIZED
                && Double.isFinite(p.getSkrBps()) && p.getSkrBps() >= 0
                && Double.isFinite(p.getEskrBps()) && p.getEskrBps() >= 0
                && p.hasPhysPerf() && Double.isFinite(qber) && qber >= 0 && qber <= 0.5
                && Double.isFinite(p.getPhysPerf().getSnrDb())
                && p.hasMeasuredAt() && t.getSeconds() >= -62135596800L && t.getSeconds() <= 253402300799L
                && t.getNanos() >= 0 && t.getNanos() <= 999_999_999;
    }

    static void performance(LinkPerformance p, String f) {
        uuid(p.getQkdlId(), f + ".qkdl_id");
        performanceFigures(p, f);
    }

    private static void performanceFigures(LinkPerformance p, String f) {
        status(p.getQkdlStatus(), f + ".qkdl_status");
        nonNegative(p.getSkrBps(), f + ".skr_bps");
        nonNegative(p.getEskrBps(), f + ".eskr_bps");
        if (!p.hasPhysPerf()) {
            throw invalid(f + ".phys_perf: required");
        }
        range(p.getPhysPerf().getQber(), 0, 0.5, f + ".phys_perf.qber");
        finite(p.getPhysPerf().getSnrDb(), f + ".phys_perf.snr_db");
        timestamp(p.getMeasuredAt(), p.hasMeasuredAt(), f + ".measured_at");
    }

    public static void notification(Notification n) {
        NotificationType t = n.getType();
        if (t == NotificationType.NOTIFICATION_TYPE_UNSPECIFIED || t == NotificationType.UNRECOGNIZED) {
            throw invalid("notification.type: must be a known notification type");
        }
        if (n.getSeverity() == AlarmSeverity.ALARM_SEVERITY_UNSPECIFIED || n.getSeverity() == AlarmSeverity.UNRECOGNIZED) {
            throw invalid("notification.severity: must be CLEARED, WARNING, MAJOR or CRITICAL");
        }
        if (isInterfaceNotification(t)) {
            uuid(n.getQkdiId(), "notification.qkdi_id");
            optionalUuid(n.getQkdlId(), "notification.qkdl_id");
        } else {
            uuid(n.getQkdlId(), "notification.qkdl_id");
            optionalUuid(n.getQkdiId(), "notification.qkdi_id");
        }
        text(n.getDescription(), "notification.description", false);
        timestamp(n.getRaisedAt(), n.hasRaisedAt(), "notification.raised_at");
        if (n.hasPerformance()) {
            LinkPerformance p = n.getPerformance();
            performance(p, "notification.performance");
            if (!p.getQkdlId().equals(n.getQkdlId())) {
                throw invalid("notification.performance.qkdl_id: differs from notification.qkdl_id");
            }
        }
    }

    static boolean isInterfaceNotification(NotificationType t) {
        return t == NotificationType.NOTIFICATION_TYPE_SDQKDN_INTERFACE_NEW
                || t == NotificationType.NOTIFICATION_TYPE_SDQKDN_INTERFACE_DOWN
                || t == NotificationType.NOTIFICATION_TYPE_SDQKDN_INTERFACE_OUT;
    }

    public static void commandResult(CommandResult r) {
        uuid(r.getRequestId(), "command_result.request_id");
        if (!r.hasResult()) {
            throw invalid("command_result.result: required");
        }
        int code = r.getResult().getCode();
        if (code < 0 || code > 16) {
            throw invalid("command_result.result.code: not a google.rpc.Code value (0..16)");
        }
        text(r.getResult().getMessage(), "command_result.result.message", false);
        if (r.hasQkdLink()) {
            link(r.getQkdLink(), "command_result.qkd_link", null, null);
        }
    }

    // ------------------------------------------------------------------------------------------

    static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    private static void uuid(String v, String f) {
        if (v.isEmpty()) {
            throw invalid(f + ": required");
        }
        if (!QkdIds.isUuid(v)) {
            throw invalid(f + ": not a UUID");
        }
    }

    private static void optionalUuid(String v, String f) {
        if (!v.isEmpty() && !QkdIds.isUuid(v)) {
            throw invalid(f + ": not a UUID");
        }
    }

    private static void text(String v, String f, boolean required) {
        if (required && v.isEmpty()) {
            throw invalid(f + ": required");
        }
        if (v.length() > MAX_TEXT) {
            throw invalid(f + ": longer than " + MAX_TEXT + " characters");
        }
    }

    private static void count(int n, String f) {
        if (n > MAX_ITEMS) {
            throw invalid(f + ": more than " + MAX_ITEMS + " entries");
        }
    }

    private static void status(QkdlStatus s, String f) {
        if (s == QkdlStatus.QKDL_STATUS_UNSPECIFIED || s == QkdlStatus.UNRECOGNIZED) {
            throw invalid(f + ": must be ACTIVE, PASSIVE, PENDING or OFF");
        }
    }

    private static void finite(double v, String f) {
        if (!Double.isFinite(v)) {
            throw invalid(f + ": must be a finite number");
        }
    }

    private static void nonNegative(double v, String f) {
        if (!Double.isFinite(v) || v < 0) {
            throw invalid(f + ": must be a finite number >= 0, was " + v);
        }
    }

    private static void range(double v, double min, double max, String f) {
        if (!Double.isFinite(v) || v < min || v > max) {
            throw invalid(f + ": must be in [" + min + ", " + max + "], was " + v);
        }
    }

    private static void timestamp(Timestamp t, boolean present, String f) {
        if (!present) {
            throw invalid(f + ": required");
        }
        // google.protobuf.Timestamp's own range: 0001-01-01 to 9999-12-31.
        if (t.getSeconds() < -62135596800L || t.getSeconds() > 253402300799L || t.getNanos() < 0
                || t.getNanos() > 999_999_999) {
            throw invalid(f + ": not a valid timestamp");
        }
    }
}

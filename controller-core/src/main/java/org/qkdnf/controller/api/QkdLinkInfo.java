package org.qkdnf.controller.api;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * Immutable merged view of one QKD link ({@code qkdl_id}) from both ends' reports.
 *
 * <p>The two ends are kept in slots A and B, ordered by node id, each with the {@code qkd_link} its
 * node last reported in an inventory and the status that end last reported (inventory, performance
 * report or link-down notification). The merged {@link #status()} follows ETSI GS QKD 015:
 * <table>
 *   <caption>merged status</caption>
 *   <tr><td>either end OFF</td><td>OFF</td></tr>
 *   <tr><td>only one end has reported the link</td><td>PENDING (being set up)</td></tr>
 *   <tr><td>either end PENDING</td><td>PENDING</td></tr>
 *   <tr><td>either end PASSIVE</td><td>PASSIVE</td></tr>
 *   <tr><td>both ACTIVE</td><td>ACTIVE</td></tr>
 * </table>
 * {@link #degraded()} is true when the link is ACTIVE and the last reported QBER is above the
 * controller's threshold. Performance figures are the latest report from either end.
 *
 * <p>Kept compact on purpose (one object per update on the hot path, the end reports shared by
 * reference): the controller must hold 30,000 links in a small heap and replace one per
 * performance update.
 */
public final class QkdLinkInfo {

    private final String qkdlId;
    private final String nodeIdA;
    private final String nodeIdB;
    private final QkdLink reportA;
    private final QkdLink reportB;
    private final QkdlStatus statusA;
    private final QkdlStatus statusB;
    private final QkdlStatus status;
    private final boolean degraded;
    private final double skrBps;
    private final double eskrBps;
    private final double qber;
    private final long keyVolumeBits;
    /** Null until the first performance figure arrives. */
    private final Instant measuredAt;

    private QkdLinkInfo(String qkdlId, String nodeIdA, String nodeIdB, QkdLink reportA, QkdLink reportB,
                        QkdlStatus statusA, QkdlStatus statusB, double skrBps, double eskrBps, double qber,
                        long keyVolumeBits, Instant measuredAt, double qberThreshold) {
        this.qkdlId = qkdlId;
        this.nodeIdA = nodeIdA;
        this.nodeIdB = nodeIdB;
        this.reportA = reportA;
        this.reportB = reportB;
        this.statusA = reportA == null ? null : statusA;
        this.statusB = reportB == null ? null : statusB;
        this.skrBps = skrBps;
        this.eskrBps = eskrBps;
        this.qber = qber;
        this.keyVolumeBits = keyVolumeBits;
        this.measuredAt = measuredAt;
        this.status = mergeStatus(this.statusA, this.statusB);
        this.degraded = status == QkdlStatus.QKDL_STATUS_ACTIVE && measuredAt != null && qber > qberThreshold;
    }

    /**
     * A link known from one end's report (the first inventory that names it).
     *
     * @param report the reporting end's {@code qkd_link}; its {@code qkdl_local} is the reporter
     */
    public static QkdLinkInfo fromReport(QkdLink report) {
        String local = report.getQkdlLocal().getQkdnId();
        String remote = report.getQkdlRemote().getQkdnId();
        String a = local.compareTo(remote) <= 0 ? local : remote;
        String b = a.equals(local) ? remote : local;
        QkdLinkInfo empty = new QkdLinkInfo(report.getQkdlId(), a, b, null, null, null, null,
                0, 0, 0, 0, null, Double.MAX_VALUE);
        return empty.withReport(report, Double.MAX_VALUE);
    }

    /**
     * Rebuilds a link from its persisted structure (performance is not persisted).
     *
     * @param reportA report of the end with the smaller node id, or null
     * @param reportB report of the other end, or null; at least one of them is not null
     */
    public static QkdLinkInfo restore(String qkdlId, String nodeIdA, String nodeIdB, QkdLink reportA,
                                      QkdlStatus statusA, QkdLink reportB, QkdlStatus statusB) {
        if (reportA == null && reportB == null) {
            throw new IllegalArgumentException("a link needs at least one end report");
        }
        return new QkdLinkInfo(Objects.requireNonNull(qkdlId), Objects.requireNonNull(nodeIdA),
                Objects.requireNonNull(nodeIdB), reportA, reportB, statusA, statusB, 0, 0, 0, 0, null,
                Double.MAX_VALUE);
    }

    /** The 015 merge of two ends' statuses (null = that end has not reported the link). */
    public static QkdlStatus mergeStatus(QkdlStatus a, QkdlStatus b) {
        if (a == QkdlStatus.QKDL_STATUS_OFF || b == QkdlStatus.QKDL_STATUS_OFF) {
            return QkdlStatus.QKDL_STATUS_OFF;
        }
        if (a == null || b == null) {
            return QkdlStatus.QKDL_STATUS_PENDING;
        }
        if (a == QkdlStatus.QKDL_STATUS_PENDING || b == QkdlStatus.QKDL_STATUS_PENDING) {
            return QkdlStatus.QKDL_STATUS_PENDING;
        }
        if (a == QkdlStatus.QKDL_STATUS_PASSIVE || b == QkdlStatus.QKDL_STATUS_PASSIVE) {
            return QkdlStatus.QKDL_STATUS_PASSIVE;
        }
        return QkdlStatus.QKDL_STATUS_ACTIVE;
    }

    public String qkdlId() {
        return qkdlId;
    }

    /**
     * A representative end report: the transmitter's if it reported, else either end's. Its
     * {@code qkdl_status} is that end's inventory value; use {@link #status()} for the merged one.
     */
    public QkdLink link() {
        if (reportA != null && reportB != null) {
            return reportB.getPhysQkdRole() == PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER
                    && reportA.getPhysQkdRole() != PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER ? reportB : reportA;
        }
        return reportA != null ? reportA : reportB;
    }

    /** The two end node ids, the smaller first. */
    public List<String> nodeIds() {
        List<String> ids = new ArrayList<>(2);
        ids.add(nodeIdA);
        ids.add(nodeIdB);
        return Collections.unmodifiableList(ids);
    }

    public String nodeIdA() {
        return nodeIdA;
    }

    public String nodeIdB() {
        return nodeIdB;
    }

    /** Whether {@code qkdnId} is one of the link's two end nodes. */
    public boolean hasEnd(String qkdnId) {
        return nodeIdA.equals(qkdnId) || nodeIdB.equals(qkdnId);
    }

    /** The {@code qkd_link} that node reported, if it has. */
    public Optional<QkdLink> reportOf(String qkdnId) {
        if (nodeIdA.equals(qkdnId)) {
            return Optional.ofNullable(reportA);
        }
        if (nodeIdB.equals(qkdnId)) {
            return Optional.ofNullable(reportB);
        }
        return Optional.empty();
    }

    /** The status that node's end last reported, if it has reported the link. */
    public Optional<QkdlStatus> endStatus(String qkdnId) {
        if (nodeIdA.equals(qkdnId)) {
            return Optional.ofNullable(statusA);
        }
        if (nodeIdB.equals(qkdnId)) {
            return Optional.ofNullable(statusB);
        }
        return Optional.empty();
    }

    /** How many ends (0..2) have reported the link. */
    public int reportCount() {
        return (reportA == null ? 0 : 1) + (reportB == null ? 0 : 1);
    }

    public QkdLink reportA() {
        return reportA;
    }

    public QkdLink reportB() {
        return reportB;
    }

    public QkdlStatus statusA() {
        return statusA;
    }

    public QkdlStatus statusB() {
        return statusB;
    }

    /** Merged 015 status. */
    public QkdlStatus status() {
        return status;
    }

    /** ACTIVE with QBER above the controller's threshold. */
    public boolean degraded() {
        return degraded;
    }

    /** Secret key rate, bit/s, from the latest performance report (0 before any). */
    public double skrBps() {
        return skrBps;
    }

    public double eskrBps() {
        return eskrBps;
    }

    /** QBER as a fraction, from the latest performance report (0 before any). */
    public double qber() {
        return qber;
    }

    public long keyVolumeBits() {
        return keyVolumeBits;
    }

    /** Whether any performance figure has arrived since the controller (re)started. */
    public boolean hasPerformance() {
        return measuredAt != null;
    }

    /** When the latest performance figure was measured (the sender's clock); EPOCH before any. */
    public Instant measuredAt() {
        return measuredAt == null ? Instant.EPOCH : measuredAt;
    }

    // ------------------------------------------------------------------------------------------
    // Derivations (the manager's merge rules); each returns a new object.

    /** With {@code report} as its local node's end (status from the report). */
    public QkdLinkInfo withReport(QkdLink report, double qberThreshold) {
        String reporter = report.getQkdlLocal().getQkdnId();
        QkdlStatus s = report.getQkdlStatus();
        if (nodeIdA.equals(reporter)) {
            return new QkdLinkInfo(qkdlId, nodeIdA, nodeIdB, report, reportB, s, statusB, skrBps, eskrBps,
                    qber, keyVolumeBits, measuredAt, qberThreshold);
        }
        if (nodeIdB.equals(reporter)) {
            return new QkdLinkInfo(qkdlId, nodeIdA, nodeIdB, reportA, report, statusA, s, skrBps, eskrBps,
                    qber, keyVolumeBits, measuredAt, qberThreshold);
        }
        throw new IllegalArgumentException(reporter + " is not an end of link " + qkdlId);
    }

    /** Without that node's end; null when no end is left (the link is gone). */
    public QkdLinkInfo withoutReport(String qkdnId, double qberThreshold) {
        QkdLink a = nodeIdA.equals(qkdnId) ? null : reportA;
        QkdLink b = nodeIdB.equals(qkdnId) ? null : reportB;
        if (a == null && b == null) {
            return null;
        }
        return new QkdLinkInfo(qkdlId, nodeIdA, nodeIdB, a, b, statusA, statusB, skrBps, eskrBps, qber,
                keyVolumeBits, measuredAt, qberThreshold);
    }

    /** With that end's status replaced (for example OFF on a link-down notification). */
    public QkdLinkInfo withEndStatus(String qkdnId, QkdlStatus endStatus, double qberThreshold) {
        QkdlStatus a = nodeIdA.equals(qkdnId) ? endStatus : statusA;
        QkdlStatus b = nodeIdB.equals(qkdnId) ? endStatus : statusB;
        return new QkdLinkInfo(qkdlId, nodeIdA, nodeIdB, reportA, reportB, a, b, skrBps, eskrBps, qber,
                keyVolumeBits, measuredAt, qberThreshold);
    }

    /** With a performance report from {@code qkdnId}'s end: its status and the link's figures. */
    public QkdLinkInfo withPerformance(String qkdnId, LinkPerformance p, double qberThreshold) {
        QkdlStatus a = nodeIdA.equals(qkdnId) && reportA != null ? p.getQkdlStatus() : statusA;
        QkdlStatus b = nodeIdB.equals(qkdnId) && reportB != null ? p.getQkdlStatus() : statusB;
        Instant at = Instant.ofEpochSecond(p.getMeasuredAt().getSeconds(), p.getMeasuredAt().getNanos());
        return new QkdLinkInfo(qkdlId, nodeIdA, nodeIdB, reportA, reportB, a, b, p.getSkrBps(),
                p.getEskrBps(), p.getPhysPerf().getQber(), p.getKeyVolumeBits(), at, qberThreshold);
    }

    /** The same link judged against another QBER threshold. */
    public QkdLinkInfo withQberThreshold(double qberThreshold) {
        return new QkdLinkInfo(qkdlId, nodeIdA, nodeIdB, reportA, reportB, statusA, statusB, skrBps, eskrBps,
                qber, keyVolumeBits, measuredAt, qberThreshold);
    }

    /** Whether the structure (ends and their statuses) differs, ignoring performance figures. */
    public boolean sameStructure(QkdLinkInfo o) {
        return o != null && Objects.equals(reportA, o.reportA) && Objects.equals(reportB, o.reportB)
                && statusA == o.statusA && statusB == o.statusB;
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof QkdLinkInfo)) {
            return false;
        }
        QkdLinkInfo that = (QkdLinkInfo) o;
        return qkdlId.equals(that.qkdlId) && sameStructure(that) && degraded == that.degraded
                && Double.compare(skrBps, that.skrBps) == 0 && Double.compare(eskrBps, that.eskrBps) == 0
                && Double.compare(qber, that.qber) == 0 && keyVolumeBits == that.keyVolumeBits
                && Objects.equals(measuredAt, that.measuredAt);
    }

    @Override
    public int hashCode() {
        return Objects.hash(qkdlId, statusA, statusB, skrBps, qber, measuredAt);
    }

    @Override
    public String toString() {
        return "QkdLinkInfo{" + qkdlId + " " + nodeIdA + "<->" + nodeIdB + " " + status
                + (degraded ? " DEGRADED" : "") + " ends=" + reportCount() + " skr=" + skrBps + " qber=" + qber
                + "}";
    }
}

package org.qkdnf.agent.impl;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import org.qkdnf.proto.southbound.v1.AlarmSeverity;
import org.qkdnf.proto.southbound.v1.Notification;
import org.qkdnf.proto.southbound.v1.NotificationType;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * Turns changes in the modules' readings into ETSI GS QKD 015 notifications, raised at once
 * rather than with the next periodic report: a link that stops producing key
 * ({@code sdqkdn_link_down}), any other status change ({@code sdqkdn_link_status_update}), and the
 * QBER crossing the alarm threshold in either direction (raised, then cleared).
 *
 * <p>Owned by the agent loop thread.
 */
final class AlarmMonitor {

    private final Map<String, QkdlStatus> lastStatus = new HashMap<>();
    private final Map<String, Boolean> qberRaised = new HashMap<>();
    private double qberThreshold;

    AlarmMonitor(double qberThreshold) {
        this.qberThreshold = qberThreshold;
    }

    void setQberThreshold(double threshold) {
        this.qberThreshold = threshold;
    }

    /** Forget a deleted link; a re-created one starts afresh. */
    void forget(String qkdlId) {
        lastStatus.remove(qkdlId);
        qberRaised.remove(qkdlId);
    }

    /** Notifications caused by {@code slot}'s current reading, oldest state change first. */
    List<Notification> check(ModuleSlot slot, NodeInventory inventory, Instant now) {
        List<Notification> out = new ArrayList<>(2);
        String link = slot.qkdlId;
        QkdlStatus status = slot.reading.status();
        QkdlStatus before = lastStatus.put(link, status);
        if (before != null && before != status) {
            boolean down = before == QkdlStatus.QKDL_STATUS_ACTIVE && status == QkdlStatus.QKDL_STATUS_OFF;
            out.add(notification(slot, inventory, now,
                    down ? NotificationType.NOTIFICATION_TYPE_SDQKDN_LINK_DOWN
                            : NotificationType.NOTIFICATION_TYPE_SDQKDN_LINK_STATUS_UPDATE,
                    down ? AlarmSeverity.ALARM_SEVERITY_CRITICAL
                            : status == QkdlStatus.QKDL_STATUS_ACTIVE ? AlarmSeverity.ALARM_SEVERITY_CLEARED
                            : AlarmSeverity.ALARM_SEVERITY_WARNING,
                    "link " + statusName(before) + " -> " + statusName(status)));
        }
        // QBER is only measured while key is produced; an OFF link keeps its alarm state.
        boolean measurable = status == QkdlStatus.QKDL_STATUS_ACTIVE;
        boolean above = measurable && slot.reading.qber() > qberThreshold;
        boolean wasAbove = qberRaised.getOrDefault(link, false);
        if (measurable && above != wasAbove) {
            qberRaised.put(link, above);
            out.add(notification(slot, inventory, now, NotificationType.NOTIFICATION_TYPE_QBER_THRESHOLD_EXCEEDED,
                    above ? AlarmSeverity.ALARM_SEVERITY_MAJOR : AlarmSeverity.ALARM_SEVERITY_CLEARED,
                    String.format(java.util.Locale.ROOT, "QBER %.4f %s threshold %.4f", slot.reading.qber(),
                            above ? "above" : "back below", qberThreshold)));
        }
        return out;
    }

    private static Notification notification(ModuleSlot slot, NodeInventory inventory, Instant now,
                                             NotificationType type, AlarmSeverity severity, String description) {
        return Notification.newBuilder()
                .setType(type)
                .setSeverity(severity)
                .setQkdlId(slot.qkdlId)
                .setQkdiId(slot.config.qkdiId())
                .setDescription(description)
                .setRaisedAt(NodeInventory.timestamp(now))
                .setPerformance(inventory.instantPerformance(slot, now))
                .build();
    }

    private static String statusName(QkdlStatus s) {
        return s.name().substring("QKDL_STATUS_".length());
    }
}

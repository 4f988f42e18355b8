package org.qkdnf.kms.relay;

/**
 * Told of every relay message that failed on a hop this node received (tampered, truncated,
 * replayed, from the wrong node, malformed, or refused by the sink) or could not send. Called on
 * the thread that detected the failure: return at once and hand slow work to an executor.
 */
@FunctionalInterface
public interface RelayAlarmListener {

    void onAlarm(RelayAlarm alarm);
}

package org.qkdnf.controller.api;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * The controller's tunables, immutable. Persisted by the topology store (as string properties, see
 * {@link #toProperties()}), so that a durable store keeps them across restarts.
 */
public final class ControllerSettings {

    public static final double QBER_DEGRADED_THRESHOLD_DEFAULT = 0.08;
    /** 0 asks agents to keep their own configured interval. */
    public static final int REPORT_INTERVAL_MS_DEFAULT = 0;
    public static final Duration COMMAND_TIMEOUT_DEFAULT = Duration.ofSeconds(10);
    /** Higher-priority key services may displace lower-priority ones at setup (KeyServiceManager's rule). */
    public static final boolean KEY_SERVICE_PREEMPTION_DEFAULT = true;
    /**
     * How long a key service may stay DEGRADED before it becomes FAILED (terminal, holds nothing);
     * zero keeps degraded services waiting for capacity for ever.
     */
    public static final Duration DEGRADED_RETRY_WINDOW_DEFAULT = Duration.ofMinutes(10);

    static final String QBER_DEGRADED_THRESHOLD = "qberDegradedThreshold";
    static final String REPORT_INTERVAL_MS = "reportIntervalMs";
    static final String COMMAND_TIMEOUT_MS = "commandTimeoutMs";
    static final String KEY_SERVICE_PREEMPTION = "keyServicePreemption";
    static final String DEGRADED_RETRY_WINDOW_MS = "degradedRetryWindowMs";

    private static final ControllerSettings DEFAULTS = new ControllerSettings(
            QBER_DEGRADED_THRESHOLD_DEFAULT, REPORT_INTERVAL_MS_DEFAULT, COMMAND_TIMEOUT_DEFAULT);

    private final double qberDegradedThreshold;
    private final int reportIntervalMs;
    private final Duration commandTimeout;
    private final boolean keyServicePreemption;
    private final Duration degradedRetryWindow;

    /**
     * @param qberDegradedThreshold a link whose QBER is above this is degraded; in (0, 0.5]
     * @param reportIntervalMs performance report interval asked of agents, ms; 0 = agent's own
     * @param commandTimeout default timeout of commands sent to agents; positive
     * @throws IllegalArgumentException naming the parameter that is out of range
     */
    public ControllerSettings(double qberDegradedThreshold, int reportIntervalMs, Duration commandTimeout) {
        this(qberDegradedThreshold, reportIntervalMs, commandTimeout, KEY_SERVICE_PREEMPTION_DEFAULT,
                DEGRADED_RETRY_WINDOW_DEFAULT);
    }

    /**
     * @param keyServicePreemption whether a key service may displace lower-priority ones at setup
     * @param degradedRetryWindow how long a service may stay DEGRADED before it is FAILED; zero or
     *                            positive (zero: never)
     */
    public ControllerSettings(double qberDegradedThreshold, int reportIntervalMs, Duration commandTimeout,
                              boolean keyServicePreemption, Duration degradedRetryWindow) {
        if (!(qberDegradedThreshold > 0 && qberDegradedThreshold <= 0.5)) {
            throw new IllegalArgumentException("qberDegradedThreshold: must be in (0, 0.5], was "
                    + qberDegradedThreshold);
        }
        if (reportIntervalMs < 0) {
            throw new IllegalArgumentException("reportIntervalMs: must be >= 0, was " + reportIntervalMs);
        }
        Objects.requireNonNull(commandTimeout, "commandTimeout");
        if (commandTimeout.isNegative() || commandTimeout.isZero()) {
            throw new IllegalArgumentException("commandTimeout: must be positive, was " + commandTimeout);
        }
        this.qberDegradedThreshold = qberDegradedThreshold;
        this.reportIntervalMs = reportIntervalMs;
        Objects.requireNonNull(degradedRetryWindow, "degradedRetryWindow");
        if (degradedRetryWindow.isNegative()) {
            throw new IllegalArgumentException("degradedRetryWindow: must be >= 0, was " + degradedRetryWindow);
        }
        this.commandTimeout = commandTimeout;
        this.keyServicePreemption = keyServicePreemption;
        this.degradedRetryWindow = degradedRetryWindow;
    }

    public static ControllerSettings defaults() {
        return DEFAULTS;
    }

    public double qberDegradedThreshold() {
        return qberDegradedThreshold;
    }

    public int reportIntervalMs() {
        return reportIntervalMs;
    }

    public Duration commandTimeout() {
        return commandTimeout;
    }

    public boolean keyServicePreemption() {
        return keyServicePreemption;
    }

    public Duration degradedRetryWindow() {
        return degradedRetryWindow;
    }

    public ControllerSettings withQberDegradedThreshold(double value) {
        return new ControllerSettings(value, reportIntervalMs, commandTimeout, keyServicePreemption, degradedRetryWindow);
    }

    public ControllerSettings withReportIntervalMs(int value) {
        return new ControllerSettings(qberDegradedThreshold, value, commandTimeout, keyServicePreemption,
                degradedRetryWindow);
    }

    public ControllerSettings withCommandTimeout(Duration value) {
        return new ControllerSettings(qberDegradedThreshold, reportIntervalMs, value, keyServicePreemption,
                degradedRetryWindow);
    }

    public ControllerSettings withKeyServicePreemption(boolean value) {
        return new ControllerSettings(qberDegradedThreshold, reportIntervalMs, commandTimeout, value, degradedRetryWindow);
    }

    public ControllerSettings withDegradedRetryWindow(Duration value) {
        return new ControllerSettings(qberDegradedThreshold, reportIntervalMs, commandTimeout, keyServicePreemption, value);
    }

    /** A flat string form for stores. */
    public Map<String, String> toProperties() {
        Map<String, String> p = new HashMap<>();
        p.put(QBER_DEGRADED_THRESHOLD, Double.toString(qberDegradedThreshold));
        p.put(REPORT_INTERVAL_MS, Integer.toString(reportIntervalMs));
        p.put(COMMAND_TIMEOUT_MS, Long.toString(commandTimeout.toMillis()));
        p.put(KEY_SERVICE_PREEMPTION, Boolean.toString(keyServicePreemption));
        p.put(DEGRADED_RETRY_WINDOW_MS, Long.toString(degradedRetryWindow.toMillis()));
        return p;
    }

    /**
     * Reads {@link #toProperties()}' form; a missing key takes its default.
     *
     * @throws IllegalArgumentException naming a value that does not parse or is out of range
     */
    public static ControllerSettings fromProperties(Map<String, String> p) {
        try {
            double qber = p.containsKey(QBER_DEGRADED_THRESHOLD)
                    ? Double.parseDouble(p.get(QBER_DEGRADED_THRESHOLD)) : QBER_DEGRADED_THRESHOLD_DEFAULT;
            int interval = p.containsKey(REPORT_INTERVAL_MS)
                    ? Integer.parseInt(p.get(REPORT_INTERVAL_MS)) : REPORT_INTERVAL_MS_DEFAULT;
            Duration timeout = p.containsKey(COMMAND_TIMEOUT_MS)
                    ? Duration.ofMillis(Long.parseLong(p.get(COMMAND_TIMEOUT_MS))) : COMMAND_TIMEOUT_DEFAULT;
            boolean preemption = KEY_SERVICE_PREEMPTION_DEFAULT;
            if (p.containsKey(KEY_SERVICE_PREEMPTION)) {
                String v = p.get(KEY_SERVICE_PREEMPTION);
                if (!"true".equals(v) && !"false".equals(v)) {
                    throw new IllegalArgumentException(KEY_SERVICE_PREEMPTION + ": must be true or false, was " + v);
                }
                preemption = Boolean.parseBoolean(v);
            }
            Duration window = p.containsKey(DEGRADED_RETRY_WINDOW_MS)
                    ? Duration.ofMillis(Long.parseLong(p.get(DEGRADED_RETRY_WINDOW_MS))) : DEGRADED_RETRY_WINDOW_DEFAULT;
            return new ControllerSettings(qber, interval, timeout, preemption, window);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("stored controller settings do not parse: " + p, e);
        }
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ControllerSettings)) {
            return false;
        }
        ControllerSettings that = (ControllerSettings) o;
        return Double.compare(qberDegradedThreshold, that.qberDegradedThreshold) == 0
                && reportIntervalMs == that.reportIntervalMs && commandTimeout.equals(that.commandTimeout)
                && keyServicePreemption == that.keyServicePreemption
                && degradedRetryWindow.equals(that.degradedRetryWindow);
    }

    @Override
    public int hashCode() {
        return Objects.hash(qberDegradedThreshold, reportIntervalMs, commandTimeout, keyServicePreemption,
                degradedRetryWindow);
    }

    @Override
    public String toString() {
        return "ControllerSettings{qberDegradedThreshold=" + qberDegradedThreshold + ", reportIntervalMs="
                + reportIntervalMs + ", commandTimeout=" + commandTimeout + ", keyServicePreemption="
                + keyServicePreemption + ", degradedRetryWindow=" + degradedRetryWindow + "}";
    }
}

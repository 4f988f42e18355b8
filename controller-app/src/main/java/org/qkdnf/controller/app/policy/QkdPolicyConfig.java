package org.qkdnf.controller.app.policy;

import java.time.Duration;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import org.onosproject.core.ApplicationId;
import org.onosproject.net.config.Config;
import org.onosproject.net.config.InvalidFieldException;

/**
 * The QKDN controller's policy in ONOS network configuration, under
 * {@code apps -> org.qkdnf.controller -> qkdnf-policy}:
 *
 * <pre>
 * {"apps": {"org.qkdnf.controller": {"qkdnf-policy": {
 *     "admissibleFraction": 0.8,
 *     "qberDegradedThreshold": 0.06,
 *     "preemption": false,
 *     "degradedRetryWindowS": 1800}}}}
 * </pre>
 *
 * Every field is optional (JSON null counts as absent); what an absent field means is the
 * {@link QkdPolicyManager}'s business. {@link #isValid()} throws ONOS's
 * {@link InvalidFieldException} naming the field, which netcfg returns to the operator.
 */
public class QkdPolicyConfig extends Config<ApplicationId> {

    /** The netcfg key under the app subject. */
    public static final String KEY = "qkdnf-policy";
    static final String ADMISSIBLE_FRACTION = "admissibleFraction";
    static final String QBER_DEGRADED_THRESHOLD = "qberDegradedThreshold";
    static final String PREEMPTION = "preemption";
    static final String DEGRADED_RETRY_WINDOW_S = "degradedRetryWindowS";
    /** 30 days: far beyond any outage worth waiting for, so a larger value is taken for a typo. */
    static final long DEGRADED_RETRY_WINDOW_S_MAX = 30L * 24 * 3600;

    @Override
    public boolean isValid() {
        boolean valid = hasOnlyFields(ADMISSIBLE_FRACTION, QBER_DEGRADED_THRESHOLD, PREEMPTION, DEGRADED_RETRY_WINDOW_S)
                && isDecimal(ADMISSIBLE_FRACTION, FieldPresence.OPTIONAL, 0, 1)
                && isDecimal(QBER_DEGRADED_THRESHOLD, FieldPresence.OPTIONAL, 0, 0.5)
                && isBoolean(PREEMPTION, FieldPresence.OPTIONAL)
                && isIntegralNumber(DEGRADED_RETRY_WINDOW_S, FieldPresence.OPTIONAL, 0, DEGRADED_RETRY_WINDOW_S_MAX);
        // isDecimal's range is closed; both fractions must be positive.
        if (admissibleFraction().filter(f -> f <= 0).isPresent()) {
            throw new InvalidFieldException(ADMISSIBLE_FRACTION, "must be in (0, 1]");
        }
        if (qberDegradedThreshold().filter(f -> f <= 0).isPresent()) {
            throw new InvalidFieldException(QBER_DEGRADED_THRESHOLD, "must be in (0, 0.5]");
        }
        return valid;
    }

    /** Share of a link's measured SKR that key services may reserve, in (0, 1]. */
    public Optional<Double> admissibleFraction() {
        return decimal(ADMISSIBLE_FRACTION);
    }

    /** A link whose QBER is above this is degraded (no new routes), in (0, 0.5]. */
    public Optional<Double> qberDegradedThreshold() {
        return decimal(QBER_DEGRADED_THRESHOLD);
    }

    /** Whether a key service that no route can carry may displace strictly lower-priority ones. */
    public Optional<Boolean> preemption() {
        JsonNode n = object.get(PREEMPTION);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        // isBoolean also accepts "TRUE"/"False" as text, which Jackson's asBoolean() reads as false.
        return Optional.of(n.isBoolean() ? n.booleanValue() : Boolean.parseBoolean(n.asText()));
    }

    /** How long a key service may stay DEGRADED before it is FAILED; zero: never. */
    public Optional<Duration> degradedRetryWindow() {
        JsonNode n = object.get(DEGRADED_RETRY_WINDOW_S);
        if (n == null || n.isNull()) {
            return Optional.empty();
        }
        return Optional.of(Duration.ofSeconds(n.isIntegralNumber() ? n.asLong() : Long.parseLong(n.asText())));
    }

    private Optional<Double> decimal(String field) {
        JsonNode n = object.get(field);
        return n == null || n.isNull() ? Optional.empty() : Optional.of(n.asDouble());
    }
}

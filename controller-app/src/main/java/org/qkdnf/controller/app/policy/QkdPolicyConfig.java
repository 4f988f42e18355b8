package org.qkdnf.controller.app.policy;

import java.util.Optional;

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
 *     "preemption": false}}}}
 * </pre>
 *
 * Every field is optional; an absent field leaves that setting as it is. {@link #isValid()} throws
 * ONOS's {@link InvalidFieldException} naming the field, which netcfg returns to the operator.
 */
public class QkdPolicyConfig extends Config<ApplicationId> {

    /** The netcfg key under the app subject. */
    public static final String KEY = "qkdnf-policy";
    static final String ADMISSIBLE_FRACTION = "admissibleFraction";
    static final String QBER_DEGRADED_THRESHOLD = "qberDegradedThreshold";
    static final String PREEMPTION = "preemption";

    @Override
    public boolean isValid() {
        boolean valid = hasOnlyFields(ADMISSIBLE_FRACTION, QBER_DEGRADED_THRESHOLD, PREEMPTION)
                && isDecimal(ADMISSIBLE_FRACTION, FieldPresence.OPTIONAL, 0, 1)
                && isDecimal(QBER_DEGRADED_THRESHOLD, FieldPresence.OPTIONAL, 0, 0.5)
                && isBoolean(PREEMPTION, FieldPresence.OPTIONAL);
        // isDecimal's range is closed; both fractions must be positive.
        if (admissibleFraction().filter(f -> f <= 0).isPresent()) {
            throw new InvalidFieldException(ADMISSIBLE_FRACTION, "must be in (0, 1]");
        }
        if (qberDegradedThreshold().filter(f -> f <= 0).isPresent()) {
            throw new InvalidFieldException(QBER_DEGRADED_THRESHOLD, "must be in (0, 0.5]");
        }
        // The core's key-service manager never asks admission to pre-empt: accepting "true" would
        // promise what does not happen.
        if (preemption().orElse(false)) {
            throw new InvalidFieldException(PREEMPTION, "pre-emption of lower-priority key services is not "
                    + "supported by this controller yet; only false is accepted");
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

    /** Whether a request may displace lower-priority reservations. */
    public Optional<Boolean> preemption() {
        return hasField(PREEMPTION) ? Optional.of(object.get(PREEMPTION).asBoolean()) : Optional.empty();
    }

    private Optional<Double> decimal(String field) {
        return hasField(field) ? Optional.of(object.get(field).asDouble()) : Optional.empty();
    }
}

package org.qkdnf.agent.sim;

/**
 * A fault scheduled on a fibre, relative to the schedule's epoch.
 *
 * @param atS                 seconds after the epoch
 * @param type                what happens
 * @param extraLossDbPerHour  {@link Type#DEGRADE} only: attenuation added per hour from then on, dB/h
 */
public record FibreEvent(double atS, Type type, double extraLossDbPerHour) {

    /** Kinds of fibre faults. */
    public enum Type {
        /** The fibre is cut: no photon arrives. */
        CUT,
        /** The fibre is spliced: the cut and any degradation are gone. */
        REPAIR,
        /** The attenuation grows linearly from now on (bent fibre, ageing connector). */
        DEGRADE
    }

    public FibreEvent {
        if (!(atS >= 0) || Double.isInfinite(atS)) {
            throw new IllegalArgumentException("at_s: must be >= 0, got " + atS);
        }
        if (type == null) {
            throw new IllegalArgumentException("type: required (CUT, REPAIR or DEGRADE)");
        }
        if (type == Type.DEGRADE && !(extraLossDbPerHour > 0 && Double.isFinite(extraLossDbPerHour))) {
            throw new IllegalArgumentException("extra_loss_db_per_hour: must be > 0 for DEGRADE, got "
                    + extraLossDbPerHour);
        }
    }
}

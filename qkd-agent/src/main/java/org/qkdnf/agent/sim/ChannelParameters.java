package org.qkdnf.agent.sim;

/**
 * Physical parameters of one fibre link and the detectors at its receiving end.
 *
 * @param lengthKm              fibre length, km
 * @param lossDbPerKm           fibre attenuation, dB/km
 * @param detectorEfficiency    detection efficiency of the receiver's single-photon detectors,
 *                              including the receiver's internal loss, fraction in (0, 1]
 * @param darkCountProbability  dark-count (and afterpulse) probability per detector per gate, fraction
 * @param misalignmentError     probability that a photon hits the wrong detector (optical
 *                              misalignment, the QBER floor), fraction in [0, 0.5)
 * @param pulseRateHz           the transmitter's pulse rate, Hz
 */
public record ChannelParameters(double lengthKm, double lossDbPerKm, double detectorEfficiency,
                                double darkCountProbability, double misalignmentError, double pulseRateHz) {

    public ChannelParameters {
        positive(lengthKm, "length_km");
        positive(lossDbPerKm, "loss_db_per_km");
        if (!(detectorEfficiency > 0 && detectorEfficiency <= 1)) {
            throw new IllegalArgumentException("detector.efficiency: must be in (0, 1], got " + detectorEfficiency);
        }
        if (!(darkCountProbability >= 0 && darkCountProbability < 1)) {
            throw new IllegalArgumentException("detector.dark_count_probability: must be in [0, 1), got "
                    + darkCountProbability);
        }
        if (!(misalignmentError >= 0 && misalignmentError < 0.5)) {
            throw new IllegalArgumentException("misalignment_error: must be in [0, 0.5), got " + misalignmentError);
        }
        positive(pulseRateHz, "pulse_rate_hz");
    }

    /** Attenuation of the fibre alone, dB. */
    public double fibreLossDb() {
        return lengthKm * lossDbPerKm;
    }

    private static void positive(double v, String field) {
        if (!(v > 0) || Double.isInfinite(v)) {
            throw new IllegalArgumentException(field + ": must be a positive number, got " + v);
        }
    }
}

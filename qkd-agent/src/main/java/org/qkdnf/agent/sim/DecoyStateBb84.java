package org.qkdnf.agent.sim;

/**
 * Asymptotic secret key rate and QBER of decoy-state BB84 with a weak coherent source, threshold
 * single-photon detectors and one-way post-processing.
 *
 * <p>Model (X. Ma, B. Qi, Y. Zhao, H.-K. Lo, "Practical decoy state for quantum key distribution",
 * Phys. Rev. A 72, 012326 (2005), section II; the infinite-decoy limit of H.-K. Lo, X. Ma, K. Chen,
 * Phys. Rev. Lett. 94, 230504 (2005), which makes the GLLP bound tight):
 * <pre>
 *   eta    = eta_det * 10^(-(alpha L + extra) / 10)                   overall transmittance
 *   Y0     = 2 p_dark                                                 background yield (two detectors)
 *   Q_mu   = 1 - (1 - Y0) exp(-eta mu)                                gain of the signal state
 *   E_mu   = (e0 Y0 + e_d (1 - exp(-eta mu))) / Q_mu,  e0 = 1/2       QBER of the signal state
 *   Y1     = Y0 + eta - Y0 eta,   Q1 = Y1 mu exp(-mu)                 single-photon yield and gain
 *   e1     = (e0 Y0 + e_d eta) / Y1                                   single-photon error rate
 *   R      = q { -Q_mu f H2(E_mu) + Q1 [1 - H2(e1)] },  q = 1/2        secret bits per pulse
 *   SKR    = R * pulse rate                                           bit/s (R &lt; 0 means no key)
 * </pre>
 * with H2 the binary entropy and f the error-correction inefficiency. The signal intensity mu is
 * chosen per channel to maximise R (a grid search over (0, 1]; the optimum is flat, as Ma et al.
 * show), as a real system's operator would tune it. With the parameters of the GYS experiment
 * (Lo-Ma-Chen's table: alpha 0.21 dB/km, eta_det 4.5 %, Y0 1.7e-6, e_d 3.3 %, f 1.22) the rate falls
 * to zero at about 142 km, the figure Lo, Ma and Chen give; a test pins that.
 *
 * <p>Finite-key effects and the decoy intensities' statistical fluctuations are left out: the
 * figures are the rate a long-running link approaches, which is what a network controller plans with.
 *
 * <p>Immutable and thread-safe.
 */
public final class DecoyStateBb84 {

    /** Error-correction inefficiency of a modern LDPC decoder. */
    public static final double DEFAULT_ERROR_CORRECTION_INEFFICIENCY = 1.16;
    private static final double SIFTING = 0.5;
    private static final double E0 = 0.5;
    private static final int MU_STEPS = 100;

    private final double errorCorrectionInefficiency;

    public DecoyStateBb84() {
        this(DEFAULT_ERROR_CORRECTION_INEFFICIENCY);
    }

    public DecoyStateBb84(double errorCorrectionInefficiency) {
        if (!(errorCorrectionInefficiency >= 1)) {
            throw new IllegalArgumentException("error-correction inefficiency must be >= 1");
        }
        this.errorCorrectionInefficiency = errorCorrectionInefficiency;
    }

    /**
     * The operating point of a channel.
     *
     * @param secretBitsPerPulse R, secret key bits per transmitted pulse (0 when no key can be distilled)
     * @param skrBps             R times the pulse rate, bit/s
     * @param qber               E_mu, QBER of the signal state
     * @param signalMeanPhotons  the chosen mu
     * @param transmittanceEta   eta, overall transmittance including the detectors
     */
    public record OperatingPoint(double secretBitsPerPulse, double skrBps, double qber, double signalMeanPhotons,
                                 double transmittanceEta) {
    }

    /**
     * Evaluates the channel with {@code extraLossDb} of attenuation on top of the fibre's own (a
     * bent patch cord, an ageing splice, a cut: {@code Double.POSITIVE_INFINITY}).
     */
    public OperatingPoint evaluate(ChannelParameters p, double extraLossDb) {
        double lossDb = p.fibreLossDb() + extraLossDb;
        double eta = p.detectorEfficiency() * Math.pow(10, -lossDb / 10);
        double y0 = Math.min(1, 2 * p.darkCountProbability());
        double bestR = 0;
        double bestMu = 0;
        double qberAtBest = Double.NaN;
        for (int i = 1; i <= MU_STEPS; i++) {
            double mu = (double) i / MU_STEPS;
            double r = rate(eta, y0, p.misalignmentError(), mu);
            if (r > bestR) {
                bestR = r;
                bestMu = mu;
                qberAtBest = signalQber(eta, y0, p.misalignmentError(), mu);
            }
        }
        if (bestR <= 0) {
            // No key: report the QBER the receiver sees at a typical intensity.
            return new OperatingPoint(0, 0, signalQber(eta, y0, p.misalignmentError(), 0.5), 0, eta);
        }
        return new OperatingPoint(bestR, bestR * p.pulseRateHz(), qberAtBest, bestMu, eta);
    }

    private double rate(double eta, double y0, double ed, double mu) {
        double qMu = gain(eta, y0, mu);
        double eMu = signalQber(eta, y0, ed, mu);
        double y1 = y0 + eta - y0 * eta;
        double q1 = y1 * mu * Math.exp(-mu);
        double e1 = (E0 * y0 + ed * eta) / y1;
        return SIFTING * (-qMu * errorCorrectionInefficiency * binaryEntropy(eMu) + q1 * (1 - binaryEntropy(e1)));
    }

    private static double gain(double eta, double y0, double mu) {
        return 1 - (1 - y0) * Math.exp(-eta * mu);
    }

    private static double signalQber(double eta, double y0, double ed, double mu) {
        double q = gain(eta, y0, mu);
        if (q <= 0) {
            return E0;
        }
        return Math.min(E0, (E0 * y0 + ed * (1 - Math.exp(-eta * mu))) / q);
    }

    static double binaryEntropy(double x) {
        if (x <= 0 || x >= 1) {
            return 0;
        }
        return -x * log2(x) - (1 - x) * log2(1 - x);
    }

    private static double log2(double x) {
        return Math.log(x) / Math.log(2);
    }
}

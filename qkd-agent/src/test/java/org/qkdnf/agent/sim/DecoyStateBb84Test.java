package org.qkdnf.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class DecoyStateBb84Test {

    /** Lo, Ma, Chen, PRL 94, 230504 (2005), table I, GYS experiment: Y0 = 1.7e-6 is 2 x 0.85e-6. */
    private static ChannelParameters gys(double km) {
        return new ChannelParameters(km, 0.21, 0.045, 0.85e-6, 0.033, 1e6);
    }

    @Test
    void keyRateVanishesNear142KmWithTheGysParametersAsLoMaChenReport() {
        DecoyStateBb84 model = new DecoyStateBb84(1.22);
        double lastPositiveKm = 0;
        for (double km = 100; km <= 160; km += 0.5) {
            if (model.evaluate(gys(km), 0).skrBps() > 0) {
                lastPositiveKm = km;
            }
        }
        assertThat(lastPositiveKm).isBetween(138.0, 146.0);
    }

    @Test
    void rateFallsWithDistanceAndQberStaysAtTheMisalignmentFloorOnShortLinks() {
        DecoyStateBb84 model = new DecoyStateBb84();
        double previous = Double.MAX_VALUE;
        for (int km = 5; km <= 150; km += 5) {
            DecoyStateBb84.OperatingPoint op = model.evaluate(
                    new ChannelParameters(km, 0.2, 0.2, 1e-6, 0.015, 1e9), 0);
            assertThat(op.skrBps()).isLessThan(previous).isPositive();
            previous = op.skrBps();
        }
        DecoyStateBb84.OperatingPoint metro = model.evaluate(new ChannelParameters(10, 0.2, 0.2, 1e-6, 0.015, 1e9), 0);
        assertThat(metro.qber()).isCloseTo(0.015, within(0.0005));
        // 10 km metro link, 1 GHz, 20 % detectors: of the order of 10 Mbit/s, as current systems deliver.
        assertThat(metro.skrBps()).isBetween(5e6, 3e7);
    }

    @Test
    void skrScalesWithThePulseRate() {
        DecoyStateBb84 model = new DecoyStateBb84();
        double slow = model.evaluate(new ChannelParameters(50, 0.2, 0.2, 1e-6, 0.015, 1e8), 0).skrBps();
        double fast = model.evaluate(new ChannelParameters(50, 0.2, 0.2, 1e-6, 0.015, 1e9), 0).skrBps();
        assertThat(fast / slow).isCloseTo(10, within(1e-9));
    }

    @Test
    void aCutFibreYieldsNoKeyAndOnlyNoise() {
        DecoyStateBb84.OperatingPoint op = new DecoyStateBb84().evaluate(
                new ChannelParameters(10, 0.2, 0.2, 1e-6, 0.015, 1e9), Double.POSITIVE_INFINITY);
        assertThat(op.skrBps()).isZero();
        assertThat(op.qber()).isEqualTo(0.5);
    }

    @Test
    void binaryEntropy() {
        assertThat(DecoyStateBb84.binaryEntropy(0.5)).isCloseTo(1, within(1e-12));
        assertThat(DecoyStateBb84.binaryEntropy(0.11)).isCloseTo(0.4999, within(1e-3));
        assertThat(DecoyStateBb84.binaryEntropy(0)).isZero();
    }
}

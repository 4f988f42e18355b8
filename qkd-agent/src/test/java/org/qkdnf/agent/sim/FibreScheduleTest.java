package org.qkdnf.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.List;

import org.junit.jupiter.api.Test;

class FibreScheduleTest {

    @Test
    void cutThenRepair() {
        FibreSchedule s = new FibreSchedule(List.of(new FibreEvent(20, FibreEvent.Type.REPAIR, 0),
                new FibreEvent(10, FibreEvent.Type.CUT, 0)));
        assertThat(s.extraLossDb(9.99)).isZero();
        assertThat(s.extraLossDb(10)).isInfinite();
        assertThat(s.extraLossDb(19.99)).isInfinite();
        assertThat(s.extraLossDb(20)).isZero();
        assertThat(s.nextEventAfter(0)).isEqualTo(10);
        assertThat(s.nextEventAfter(10)).isEqualTo(20);
        assertThat(s.nextEventAfter(20)).isInfinite();
    }

    @Test
    void degradationGrowsLinearlyAndAddsUpUntilRepaired() {
        FibreSchedule s = new FibreSchedule(List.of(
                new FibreEvent(10, FibreEvent.Type.DEGRADE, 3600),
                new FibreEvent(20, FibreEvent.Type.DEGRADE, 7200),
                new FibreEvent(30, FibreEvent.Type.REPAIR, 0)));
        assertThat(s.extraLossDb(10)).isZero();
        assertThat(s.extraLossDb(15)).isCloseTo(5, within(1e-9));
        assertThat(s.extraLossDb(20)).isCloseTo(10, within(1e-9));
        assertThat(s.extraLossDb(25)).isCloseTo(10 + 5 * 3, within(1e-9));
        assertThat(s.extraLossDb(30)).isZero();
        assertThat(s.extraLossDb(100)).isZero();
    }

    @Test
    void degradeNeedsARate() {
        assertThatThrownBy(() -> new FibreEvent(1, FibreEvent.Type.DEGRADE, 0))
                .hasMessageContaining("extra_loss_db_per_hour");
        assertThatThrownBy(() -> new FibreEvent(-1, FibreEvent.Type.CUT, 0)).hasMessageContaining("at_s");
    }
}

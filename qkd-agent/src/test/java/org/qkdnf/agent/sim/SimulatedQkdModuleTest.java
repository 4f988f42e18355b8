package org.qkdnf.agent.sim;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.time.Instant;
import java.util.HashSet;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.agent.driver.ModuleReading;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

class SimulatedQkdModuleTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private static final ChannelParameters METRO = new ChannelParameters(20, 0.2, 0.2, 1e-6, 0.015, 1e9);
    private static final String LINK = "9a1c0e2e-5b8e-4a55-8f3c-0d6f1c2b7e11";

    private static SimulatedQkdModule module(PhysQkdRole role, FibreSchedule schedule, KeySeed seed) {
        return new SimulatedQkdModule(role, METRO, schedule, T0, seed, 8192, new DecoyStateBb84());
    }

    @Test
    void bothEndsProduceBitIdenticalBlocksUnderIdenticalIds() {
        KeySeed seed = KeySeed.random();
        SimulatedQkdModule alice = module(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER, FibreSchedule.NONE, seed);
        SimulatedQkdModule bob = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, FibreSchedule.NONE, seed);
        alice.attach(LINK, T0);
        bob.attach(LINK, T0);
        // The two ends are read at different instants, as two agents would be.
        for (int ms = 0; ms <= 1000; ms += 37) {
            alice.read(T0.plusMillis(ms));
        }
        alice.read(T0.plusMillis(1000));
        bob.read(T0.plusMillis(1000));
        long n = Math.min(alice.keys().producedBlocks(), bob.keys().producedBlocks());
        assertThat(n).isGreaterThan(100);
        assertThat(Math.abs(alice.keys().producedBlocks() - bob.keys().producedBlocks())).isLessThanOrEqualTo(1);
        Set<UUID> ids = new HashSet<>();
        for (long i = 0; i < n; i++) {
            KeyBlock a = alice.keys().block(i);
            KeyBlock b = bob.keys().block(i);
            assertThat(a.blockId()).isEqualTo(b.blockId());
            assertThat(a.key()).isEqualTo(b.key()).hasSize(1024);
            assertThat(a.blockId().version()).isEqualTo(4);
            ids.add(a.blockId());
        }
        assertThat(ids).hasSize((int) n);
        assertThat(alice.keys().block(0).key()).isNotEqualTo(alice.keys().block(1).key());
        assertThat(alice.keys().block(0).toString()).doesNotContain(java.util.Arrays.toString(alice.keys().block(0).key()));
    }

    @Test
    void anotherSeedOrAnotherLinkIdGivesUnrelatedKey() {
        KeySeed seed = KeySeed.random();
        SimulatedQkdModule a = module(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER, FibreSchedule.NONE, seed);
        SimulatedQkdModule b = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, FibreSchedule.NONE, KeySeed.random());
        SimulatedQkdModule c = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, FibreSchedule.NONE, seed);
        a.attach(LINK, T0);
        b.attach(LINK, T0);
        c.attach(UUID.randomUUID().toString(), T0);
        a.read(T0.plusSeconds(1));
        b.read(T0.plusSeconds(1));
        c.read(T0.plusSeconds(1));
        assertThat(a.keys().block(0).key()).isNotEqualTo(b.keys().block(0).key());
        assertThat(a.keys().block(0).key()).isNotEqualTo(c.keys().block(0).key());
        assertThat(a.keys().block(0).blockId()).isNotEqualTo(c.keys().block(0).blockId());
    }

    @Test
    void keyVolumeIsTheModelRateIntegratedOverTime() {
        SimulatedQkdModule m = module(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER, FibreSchedule.NONE, KeySeed.random());
        m.attach(LINK, T0);
        ModuleReading r = m.read(T0.plusSeconds(2));
        double rate = new DecoyStateBb84().evaluate(METRO, 0).skrBps();
        assertThat(r.status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat(r.eskrBps()).isCloseTo(rate, within(1e-6));
        assertThat((double) r.keyVolumeBits()).isCloseTo(2 * rate, within(2.0));
        assertThat(m.keys().producedBlocks()).isEqualTo(r.keyVolumeBits() / 8192);
        assertThatThrownBy(() -> m.keys().block(m.keys().producedBlocks())).isInstanceOf(NoSuchElementException.class);
    }

    @Test
    void aCutStopsKeyAtTheInstantItHappensAndARepairResumesIt() {
        FibreSchedule s = new FibreSchedule(List.of(new FibreEvent(1.25, FibreEvent.Type.CUT, 0),
                new FibreEvent(3, FibreEvent.Type.REPAIR, 0)));
        SimulatedQkdModule m = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, s, KeySeed.random());
        m.attach(LINK, T0);
        double rate = new DecoyStateBb84().evaluate(METRO, 0).skrBps();
        ModuleReading cut = m.read(T0.plusSeconds(2)); // one read across the cut
        assertThat(cut.status()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
        assertThat(cut.qber()).isEqualTo(0.5);
        assertThat((double) cut.keyVolumeBits()).isCloseTo(1.25 * rate, within(2.0));
        ModuleReading repaired = m.read(T0.plusSeconds(4));
        assertThat(repaired.status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat((double) repaired.keyVolumeBits()).isCloseTo(2.25 * rate, within(2.0));
    }

    @Test
    void aDegradingFibreLosesRateAndGainsQberUntilNoKeyIsLeft() {
        FibreSchedule s = new FibreSchedule(List.of(new FibreEvent(0, FibreEvent.Type.DEGRADE, 3600)));
        SimulatedQkdModule m = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, s, KeySeed.random());
        m.attach(LINK, T0);
        ModuleReading early = m.read(T0.plusSeconds(1));
        ModuleReading late = m.read(T0.plusSeconds(30));
        ModuleReading dead = m.read(T0.plusSeconds(60));
        assertThat(late.eskrBps()).isLessThan(early.eskrBps() / 100);
        assertThat(late.qber()).isGreaterThan(early.qber());
        assertThat(late.channelAttDb()).isCloseTo(4 + 30, within(1e-6));
        assertThat(dead.status()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
    }

    @Test
    void aDisabledLinkIsPassiveAndProducesNothing() {
        SimulatedQkdModule m = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, FibreSchedule.NONE, KeySeed.random());
        m.attach(LINK, T0);
        m.setEnabled(false, T0.plusSeconds(1));
        long before = m.read(T0.plusSeconds(1)).keyVolumeBits();
        ModuleReading r = m.read(T0.plusSeconds(5));
        assertThat(r.status()).isEqualTo(QkdlStatus.QKDL_STATUS_PASSIVE);
        assertThat(r.keyVolumeBits()).isEqualTo(before);
    }

    @Test
    void maxAbsorptionIsWhereTheRateEnds() {
        SimulatedQkdModule m = module(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, FibreSchedule.NONE, KeySeed.random());
        assertThat(m.info().maxAbsorptionDb()).isBetween(37.0, 40.0);
        assertThat(m.info().type()).contains("decoy-state BB84");
    }

    @Test
    void seedNeverPrinted() {
        KeySeed s = KeySeed.fromHex("00".repeat(31) + "ff");
        assertThat(s.toString()).doesNotContain("ff");
        assertThatThrownBy(() -> KeySeed.fromHex("abc")).hasMessageContaining("64 hex digits");
    }
}

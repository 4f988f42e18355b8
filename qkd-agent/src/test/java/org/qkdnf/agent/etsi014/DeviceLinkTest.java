package org.qkdnf.agent.etsi014;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.UUID;

import org.junit.jupiter.api.Test;

/** The per-link key stream: bounds, acknowledgements, subscriptions, health. */
class DeviceLinkTest {

    static List<DeviceKey> keys(int n) {
        List<DeviceKey> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new DeviceKey(UUID.randomUUID(), new byte[] {(byte) i, 1, 2, 3}));
        }
        return out;
    }

    @Test
    void masterHoldsBlocksUntilAcknowledgedAndKeyIdsUntilTheSlaveHasThem() {
        DeviceLink l = new DeviceLink("l", 32, 8);
        l.advanceTo(0);
        assertThat(l.subscribe(0)).isNull();
        List<DeviceKey> k = keys(8);
        l.append(k, true);
        assertThat(l.room()).isZero();
        assertThat(l.block(3).blockId()).isEqualTo(k.get(3).keyId());
        assertThat(l.block(3).index()).isEqualTo(3);

        l.advanceTo(5);   // the key manager has blocks 0..4
        assertThat(l.room()).as("key_IDs the slave lacks still count").isZero();
        assertThatThrownBy(() -> l.block(4)).isInstanceOf(NoSuchElementException.class);
        l.slaveProgress(6);
        assertThat(l.room()).isEqualTo(5);
        assertThat(l.idsFrom(6, 10)).containsExactly(k.get(6).keyId(), k.get(7).keyId());
        assertThatThrownBy(() -> l.idsFrom(5, 10)).isInstanceOf(NoSuchElementException.class);
        assertThat(l.subscribe(5)).as("forgotten key_IDs").contains("outside");
        assertThat(l.subscribe(9)).as("beyond what was produced").contains("outside");
        assertThat(l.subscribe(8)).isNull();
    }

    @Test
    void noSubscriptionBeforeTheKeyManagerSaidWhereTheStreamContinues() {
        DeviceLink l = new DeviceLink("l", 32, 8);
        assertThat(l.subscribe(0)).contains("retry");
        assertThat(l.slaveSynced()).isFalse();
        l.advanceTo(100);
        assertThat(l.producedBlocks()).isEqualTo(100);
        assertThat(l.subscribe(99)).isNotNull();
        assertThat(l.subscribe(100)).isNull();
        assertThat(l.slaveSynced()).isTrue();
    }

    @Test
    void slaveFetchesPendingKeyIdsInOrder() {
        DeviceLink l = new DeviceLink("l", 32, 4);
        l.advanceTo(10);
        assertThat(l.restartIds()).isEqualTo(10);
        List<DeviceKey> k = keys(6);
        List<UUID> ids = k.stream().map(DeviceKey::keyId).toList();
        assertThat(l.addIds(11, ids)).as("a gap").isFalse();
        assertThat(l.addIds(10, ids)).isTrue();
        assertThat(l.nextPending(100)).as("bounded by the room").hasSize(4).containsExactlyElementsOf(ids.subList(0, 4));
        l.appendPending(k.subList(0, 4));
        assertThat(l.producedBlocks()).isEqualTo(14);
        assertThat(l.block(13).blockId()).isEqualTo(ids.get(3));
        assertThat(l.nextPending(100)).isEmpty();
        l.advanceTo(12);
        assertThat(l.nextPending(100)).containsExactlyElementsOf(ids.subList(4, 6));
        assertThatThrownBy(() -> l.appendPending(k.subList(5, 6))).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void healthyOnlyAfterKeyArrivedAndUntilFailuresLastTooLong() {
        DeviceLink l = new DeviceLink("l", 32, 4);
        assertThat(l.healthy(Long.MAX_VALUE)).as("no key yet").isFalse();
        l.append(keys(1), true);
        assertThat(l.healthy(0)).isTrue();
        l.failing("HTTP 503");
        assertThat(l.healthy(Long.MAX_VALUE)).as("failing, not yet for long").isTrue();
        assertThat(l.healthy(0)).as("failing for longer than allowed").isFalse();
        assertThat(l.lastProblem()).isEqualTo("HTTP 503");
        l.append(keys(1), true);
        assertThat(l.healthy(0)).isTrue();
    }
}

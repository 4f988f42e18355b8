package org.qkdnf.agent.etsi014;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The per-link key stream: bounds, acknowledgements, subscriptions, health. */
class DeviceLinkTest {

    @TempDir
    Path dir;
    private final List<DeviceJournal> journals = new ArrayList<>();

    @AfterEach
    void closeJournals() {
        journals.forEach(DeviceJournal::close);
    }

    private DeviceLink link(String qkdlId, int capacity) throws IOException {
        DeviceJournal j = DeviceJournal.open(dir, "module");
        journals.add(j);
        return new DeviceLink(qkdlId, 32, capacity, j);
    }

    private void reopen() {
        journals.forEach(DeviceJournal::close);
        journals.clear();
    }

    static List<DeviceKey> keys(int n) {
        List<DeviceKey> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new DeviceKey(UUID.randomUUID(), new byte[] {(byte) i, 1, 2, 3}));
        }
        return out;
    }

    @Test
    void masterHoldsBlocksUntilAcknowledgedAndKeyIdsUntilTheSlaveHasThem() throws IOException {
        DeviceLink l = link("l", 8);
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
    void noSubscriptionBeforeTheKeyManagerSaidWhereTheStreamContinues() throws IOException {
        DeviceLink l = link("l", 8);
        assertThat(l.subscribe(0)).contains("retry");
        assertThat(l.slaveSynced()).isFalse();
        l.advanceTo(100);
        assertThat(l.producedBlocks()).isEqualTo(100);
        assertThat(l.subscribe(99)).isNotNull();
        assertThat(l.subscribe(100)).isNull();
        assertThat(l.slaveSynced()).isTrue();
    }

    @Test
    void slaveFetchesPendingKeyIdsInOrder() throws IOException {
        DeviceLink l = link("l", 4);
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
    void healthyOnlyAfterKeyArrivedAndUntilFailuresLastTooLong() throws IOException {
        DeviceLink l = link("l", 4);
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

    @Test
    void aReopenedJournalGivesBackWhatWasNotAcknowledged() throws IOException {
        DeviceLink l = link("l", 8);
        l.advanceTo(0);
        assertThat(l.subscribe(0)).isNull();
        List<DeviceKey> k = keys(6);
        l.append(k, true);
        l.advanceTo(4);        // the key manager has 0..3
        l.slaveProgress(2);    // the slave end has key_IDs 0..1
        reopen();

        DeviceLink again = link("l", 8);
        assertThat(again.producedBlocks()).isEqualTo(6);
        assertThat(again.heldBlocks()).isEqualTo(2);
        assertThat(again.block(5).blockId()).isEqualTo(k.get(5).keyId());
        assertThat(again.block(5).key()).isEqualTo(k.get(5).key());
        assertThat(again.positioned()).as("waits for the key manager's position again").isFalse();
        again.advanceTo(4);
        assertThat(again.subscribe(2)).as("key_IDs from 2 are still held for the slave end").isNull();
        assertThat(again.idsFrom(2, 10)).containsExactlyElementsOf(k.subList(2, 6).stream().map(DeviceKey::keyId).toList());
        assertThat(again.subscribe(1)).contains("outside");
    }

    @Test
    void aJournalOfAnotherLinkStartsAfresh() throws IOException {
        DeviceLink l = link("l", 8);
        l.advanceTo(0);
        l.append(keys(3), true);
        reopen();
        DeviceLink other = link("m", 8);
        assertThat(other.producedBlocks()).isZero();
        assertThat(other.heldBlocks()).isZero();
    }

    @Test
    void aStreamContinuingBeyondTheJournalForgetsIt() throws IOException {
        DeviceLink l = link("l", 8);
        l.advanceTo(0);
        l.append(keys(3), true);
        l.advanceTo(50);       // a key manager that is ahead (its own journal was lost)
        reopen();
        DeviceLink again = link("l", 8);
        assertThat(again.producedBlocks()).isEqualTo(50);
        assertThat(again.heldBlocks()).isZero();
    }
}

package org.qkdnf.kms.service;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.relay.HopCipher;
import org.qkdnf.kms.store.MvStoreKeyPoolStore;

/** Which source services a refill pass visits, against a real pool store. */
class RefillScheduleTest {

    static final String SELF = "n1";
    static final String LANE = LaneIds.of("l1", SELF);

    @TempDir
    Path dir;
    private MvStoreKeyPoolStore pools;
    private RefillSchedule schedule;

    @BeforeEach
    void open() throws Exception {
        Path keyFile = dir.resolve("pools.key");
        KeyFile.create(keyFile);
        pools = MvStoreKeyPoolStore.open(dir.resolve("pools.mv.db"), keyFile);
        pools.definePool(LANE, 1L << 30);
        schedule = new RefillSchedule(SELF, pools);
    }

    @AfterEach
    void close() {
        pools.close();
    }

    private static KeyServiceDefinition service(int n, List<String> route) {
        return new KeyServiceDefinition(new UUID(0x5e, n), "sae-a" + n, "sae-b" + n, route, List.of("l1"),
                64L * 1024 * 8);
    }

    private List<UUID> visited() {
        List<UUID> ids = new ArrayList<>();
        schedule.active().forEach(s -> ids.add(s.definition.serviceId()));
        return ids;
    }

    @Test
    void visitsOnlyServicesWhoseSourceIsThisNode() {
        KeyServiceDefinition source = service(1, List.of(SELF, "n2"));
        schedule.add(source);
        schedule.add(service(2, List.of("n2", SELF)));

        assertThat(visited()).containsExactly(source.serviceId());
    }

    @Test
    void aParkedServiceIsVisitedAgainOnceItsLaneHoldsAChunkAndItsFirstHopsMacKey() {
        KeyServiceDefinition d = service(1, List.of(SELF, "n2"));
        schedule.add(d);
        RefillSchedule.Source s = schedule.active().iterator().next();
        schedule.park(s);
        assertThat(visited()).isEmpty();
        assertThat(s.startBits).isEqualTo(s.chunkBits + HopCipher.MAC_KEY_BITS);

        pools.append(LANE, List.of(new PoolBlock(UUID.randomUUID(), 0, new byte[(int) (s.startBits / 8) - 1])));
        assertThat(visited()).as("one byte short of a chunk and its MAC key").isEmpty();

        pools.append(LANE, List.of(new PoolBlock(UUID.randomUUID(), 1, new byte[1])));
        assertThat(visited()).containsExactly(d.serviceId());
    }

    @Test
    void aServiceRemovedOrReplacedWhileParkedDoesNotComeBackStale() {
        KeyServiceDefinition removed = service(1, List.of(SELF, "n2"));
        KeyServiceDefinition replaced = service(2, List.of(SELF, "n2"));
        schedule.add(removed);
        schedule.add(replaced);
        schedule.active().forEach(schedule::park);
        schedule.remove(removed.serviceId());
        KeyServiceDefinition replacement = new KeyServiceDefinition(replaced.serviceId(), "sae-a2", "sae-b2",
                List.of(SELF, "n3"), List.of("l1"), 4096L * 8);
        schedule.add(replacement);

        pools.append(LANE, List.of(new PoolBlock(UUID.randomUUID(), 0, new byte[64 * 1024])));

        assertThat(schedule.active()).singleElement().satisfies(s -> assertThat(s.definition).isEqualTo(replacement));
    }

    @Test
    void aLaneWithoutPoolKeepsItsServicesParked() {
        KeyServiceDefinition d = new KeyServiceDefinition(new UUID(0x5e, 9), "a", "b", List.of(SELF, "n4"),
                List.of("no-such-link"), 4096L * 8);
        schedule.add(d);
        schedule.active().forEach(schedule::park);

        assertThat(visited()).isEmpty();
    }
}

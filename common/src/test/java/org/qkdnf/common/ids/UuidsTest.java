package org.qkdnf.common.ids;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashSet;
import java.util.Set;
import java.util.UUID;

import org.junit.jupiter.api.Test;

class UuidsTest {

    @Test
    void timeOrderedIdsAreVersion7WithTheTimeInFrontAndDistinct() throws Exception {
        long before = System.currentTimeMillis();
        UUID first = Uuids.timeOrdered();
        Thread.sleep(3);
        UUID later = Uuids.timeOrdered();
        long after = System.currentTimeMillis();

        for (UUID u : new UUID[] {first, later}) {
            assertThat(u.version()).isEqualTo(7);
            assertThat(u.variant()).isEqualTo(2);
            assertThat(Uuids.isUuid(u.toString())).isTrue();
            assertThat(u.getMostSignificantBits() >>> 16).isBetween(before, after);
        }
        assertThat(first.toString()).as("a later millisecond sorts after, as text too").isLessThan(later.toString());
        Set<UUID> many = new HashSet<>();
        for (int i = 0; i < 10_000; i++) {
            many.add(Uuids.timeOrdered());
        }
        assertThat(many).hasSize(10_000);
    }

    @Test
    void version7KeepsTheTimeAndOnlyTheRandomBitsItHasRoomFor() {
        UUID u = Uuids.version7(0x0123456789ABL, -1L, -1L);
        assertThat(u.toString()).isEqualTo("01234567-89ab-7fff-bfff-ffffffffffff");
        assertThat(Uuids.version7(0x0123456789ABL, 0, 0).toString()).isEqualTo("01234567-89ab-7000-8000-000000000000");
    }
}

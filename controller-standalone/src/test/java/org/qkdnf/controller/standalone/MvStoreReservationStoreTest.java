package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.controller.admission.AdmissionController;

class MvStoreReservationStoreTest {

    @TempDir
    Path dir;

    @Test
    void admittedReservationsSurviveReopening() throws Exception {
        try (MvStoreReservationStore store = MvStoreReservationStore.open(dir)) {
            AdmissionController a = new AdmissionController(store, 0.5);
            a.updateCapacity("link-1", 10_000);
            a.updateCapacity("link-2", 10_000);
            assertThat(a.reserve("svc-a", 3, Map.of("link-1", 2_000L, "link-2", 1_000L), false).admitted()).isTrue();
            assertThat(a.reserve("svc-b", 1, Map.of("link-1", 1_000L), false).admitted()).isTrue();
            a.release("svc-b");
        }
        try (MvStoreReservationStore store = MvStoreReservationStore.open(dir)) {
            AdmissionController b = new AdmissionController(store, 0.5);
            assertThat(b.reservation("svc-a").orElseThrow().rateBpsByLane())
                    .containsExactlyEntriesOf(new java.util.TreeMap<>(Map.of("link-1", 2_000L, "link-2", 1_000L)));
            assertThat(b.reservation("svc-a").orElseThrow().priority()).isEqualTo(3);
            assertThat(b.reservation("svc-b")).isEmpty();
            assertThat(b.reservedBps("link-1")).isEqualTo(2_000);
        }
    }
}

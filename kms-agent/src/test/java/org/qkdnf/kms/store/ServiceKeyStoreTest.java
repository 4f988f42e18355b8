package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.store.ServiceKeyStore.CarvedKey;
import org.qkdnf.kms.store.ServiceKeyStore.ServiceKeyException;

class ServiceKeyStoreTest {

    static final UUID SERVICE = UUID.fromString("5e000000-0000-4000-8000-000000000001");
    static final KeyServiceDefinition DEF = new KeyServiceDefinition(SERVICE, "sae-a", "sae-b",
            List.of("n1", "n2"), List.of("l1"), 1L << 16);

    @TempDir
    Path dir;
    private Path keyFile;

    @BeforeEach
    void key() throws Exception {
        keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
    }

    private static byte[] random(int n) {
        byte[] b = new byte[n];
        new SecureRandom().nextBytes(b);
        return b;
    }

    /** ETSI 014 status at the slave's KME counts every route of the pair, a removed one's waiting keys too. */
    @Test
    void thePairsWaitingKeysAreCountedOverEveryRouteRemovedOnesIncluded() throws Exception {
        UUID second = UUID.fromString("5e000000-0000-4000-8000-000000000002");
        KeyServiceDefinition other = new KeyServiceDefinition(second, "sae-a", "sae-b", List.of("n1", "n3", "n2"),
                List.of("l2", "l3"), 1L << 16);
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            for (KeyServiceDefinition d : List.of(DEF, other)) {
                byte[] chunk = random(64);
                for (ServiceKeyStore s : List.of(source, destination)) {
                    s.putService(d);
                    s.putChunk(d.serviceId(), 1, chunk.clone());
                }
                for (CarvedKey k : source.carve(d.serviceId(), 2, 32)) {
                    destination.assign(d.serviceId(), k.keyId(), k.segments());
                }
            }
            assertThat(destination.assignedKeyCount("sae-a", "sae-b")).isEqualTo(4);
            destination.removeService(SERVICE);
            assertThat(destination.assignedKeyCount("sae-a", "sae-b")).as("the removed route's keys still wait").isEqualTo(4);
            assertThat(destination.assignedKeyCount("sae-b", "sae-a")).isZero();
        }
    }

    @Test
    void destinationAcceptsAssignmentsInAnyOrderButNeverAByteTwice() throws Exception {
        byte[] c1 = random(64);
        byte[] c2 = random(64);
        List<CarvedKey> carved;
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c1.clone());
                s.putChunk(SERVICE, 2, c2.clone());
            }
            assertThat(source.availableBits(SERVICE)).isEqualTo(128 * 8);
            carved = source.carve(SERVICE, 4, 24); // 96 bytes: the third key spans both chunks
            assertThat(source.availableBits(SERVICE)).isEqualTo(32 * 8);
            List<CarvedKey> shuffled = new ArrayList<>(carved);
            Collections.reverse(shuffled);
            for (CarvedKey k : shuffled) {
                destination.assign(SERVICE, k.keyId(), k.segments());
            }
            assertThat(destination.assignedKeyCount(SERVICE)).isEqualTo(4);
            for (CarvedKey k : carved) {
                assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
            }
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
            CarvedKey first = carved.get(0);
            assertThatThrownBy(() -> destination.assign(SERVICE, UUID.randomUUID(), first.segments()))
                    .isInstanceOfSatisfying(ServiceKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
            CarvedKey last = carved.get(3);
            assertThatThrownBy(() -> destination.assign(SERVICE, UUID.randomUUID(), last.segments()))
                    .hasMessageContaining("overlaps");
            assertThatThrownBy(() -> destination.takeAssigned(SERVICE, first.keyId()))
                    .hasMessageContaining("already delivered");
            destination.assign(SERVICE, first.keyId(), first.segments()); // a repeated assignment: no-op
        }
        // Counters are rebuilt from the files.
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            assertThat(source.availableBits(SERVICE)).isEqualTo(32 * 8);
            assertThat(destination.availableBits(SERVICE)).isEqualTo(32 * 8);
            assertThat(source.carve(SERVICE, 1, 32).get(0).key()).isEqualTo(java.util.Arrays.copyOfRange(c2, 32, 64));
            assertThatThrownBy(() -> source.carve(SERVICE, 1, 8)).isInstanceOf(ServiceKeyException.class)
                    .hasMessageContaining("asked");
        }
    }

    @Test
    void keysAssignedUnderARemovedRouteStayForTheSlaveOfTheSamePairOnly() throws Exception {
        UUID next = UUID.fromString("5e000000-0000-4000-8000-000000000002");
        KeyServiceDefinition nextRoute = new KeyServiceDefinition(next, "sae-a", "sae-b",
                List.of("n1", "n3", "n2"), List.of("l2", "l3"), 1L << 16);
        List<CarvedKey> carved;
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            byte[] c = random(96);
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c.clone());
            }
            carved = source.carve(SERVICE, 3, 32);
            for (CarvedKey k : carved) {
                destination.assign(SERVICE, k.keyId(), k.segments());
            }
            // The master holds three key ids; the controller moves the pair to another route.
            destination.putService(nextRoute);
            assertThat(destination.removeService(SERVICE)).isTrue();
            assertThat(destination.services()).containsExactly(nextRoute);
            assertThat(destination.availableBits(SERVICE)).as("relayed key not assigned is erased").isZero();
            assertThat(destination.hasRetired("sae-a", "sae-b")).isTrue();
            assertThat(destination.takeAssigned(carved.get(0).keyId(), "sae-a", "sae-b")).isEqualTo(carved.get(0).key());
            assertThatThrownBy(() -> destination.takeAssigned(carved.get(1).keyId(), "sae-a", "sae-x"))
                    .as("another pair").hasMessageContaining("unknown for this SAE pair");
        }
        try (ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            assertThat(destination.assignedKeyCount(SERVICE)).as("kept across a restart").isEqualTo(2);
            assertThat(destination.takeAssigned(carved.get(1).keyId(), "sae-a", "sae-b")).isEqualTo(carved.get(1).key());
            assertThat(destination.takeAssigned(carved.get(2).keyId(), "sae-a", "sae-b")).isEqualTo(carved.get(2).key());
            assertThat(destination.hasRetired("sae-a", "sae-b")).as("forgotten with its last key").isFalse();
            assertThatThrownBy(() -> destination.takeAssigned(carved.get(2).keyId(), "sae-a", "sae-b"))
                    .hasMessageContaining("already delivered");
        }
    }

    @Test
    void aSegmentOfAChunkNotYetArrivedWaitsAndAChunkIsStoredOnce() throws Exception {
        try (ServiceKeyStore s = ServiceKeyStore.open(dir.resolve("s.mv.db"), keyFile)) {
            s.putService(DEF);
            assertThatThrownBy(() -> s.assign(SERVICE, UUID.randomUUID(), List.of(new ServiceKeyStore.Segment(7, 0, 8))))
                    .hasMessageContaining("has not arrived");
            byte[] c = random(32);
            s.putChunk(SERVICE, 7, c.clone());
            s.putChunk(SERVICE, 7, c.clone());
            assertThat(s.availableBits(SERVICE)).isEqualTo(32 * 8);
            assertThatThrownBy(() -> s.putChunk(SERVICE, 7, random(32))).hasMessageContaining("other content");
            assertThat(s.removeService(SERVICE)).isTrue();
            assertThat(s.availableBits(SERVICE)).isZero();
        }
    }

    @Test
    void aBatchOfAssignmentsIsStoredAllOrNothing() throws Exception {
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            byte[] c = random(128);
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c.clone());
            }
            List<CarvedKey> carved = source.carve(SERVICE, 4, 32);
            assertThat(carved).allSatisfy(k -> {
                assertThat(k.keyId().version()).as("time-ordered random UUID").isEqualTo(7);
                assertThat(k.keyId().variant()).isEqualTo(2);
            });
            List<ServiceKeyStore.Assignment> batch = new ArrayList<>();
            carved.forEach(k -> batch.add(k.assignment()));
            // The last assignment names the first key's bytes again: the whole batch is refused.
            List<ServiceKeyStore.Assignment> overlapping = new ArrayList<>(batch);
            overlapping.set(3, new ServiceKeyStore.Assignment(carved.get(3).keyId(), carved.get(0).segments()));
            assertThatThrownBy(() -> destination.assignAll(SERVICE, overlapping))
                    .isInstanceOfSatisfying(ServiceKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
            List<ServiceKeyStore.Assignment> twice = List.of(batch.get(0), batch.get(0));
            assertThatThrownBy(() -> destination.assignAll(SERVICE, twice)).hasMessageContaining("twice");
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
            assertThat(destination.availableBits(SERVICE)).isEqualTo(128 * 8);

            destination.assignAll(SERVICE, batch);
            destination.assignAll(SERVICE, batch); // a repeated batch: no-op
            assertThat(destination.assignedKeyCount(SERVICE)).isEqualTo(4);
            assertThat(destination.availableBits(SERVICE)).isZero();
            for (CarvedKey k : carved) {
                assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
            }
        }
    }

    @Test
    void servicesPutWithoutWaitingAreSeenAtOnceSurviveAReopenAndAreListedInIdOrder() throws Exception {
        List<UUID> ids = new ArrayList<>();
        for (int i = 0; i < 50; i++) {
            ids.add(UUID.randomUUID());
        }
        List<UUID> sorted = new ArrayList<>(ids);
        sorted.sort(java.util.Comparator.comparing(UUID::toString));
        try (ServiceKeyStore s = ServiceKeyStore.open(dir.resolve("svc.mv.db"), keyFile)) {
            List<java.util.concurrent.CompletableFuture<Void>> durable = new ArrayList<>();
            for (UUID id : ids) {
                durable.add(s.putServiceAsync(new KeyServiceDefinition(id, "sae-a", "sae-b", List.of("n1", "n2"),
                        List.of("l1"), 1L << 16)));
                assertThat(s.service(id)).as("visible before it is durable").isPresent();
            }
            KeyServiceDefinition replaced = new KeyServiceDefinition(ids.get(0), "sae-a", "sae-c", List.of("n1", "n2"),
                    List.of("l1"), 1L << 16);
            durable.add(s.putServiceAsync(replaced));
            durable.add(s.putServiceAsync(replaced));  // the same again: no change, still waits for the disk
            durable.forEach(java.util.concurrent.CompletableFuture::join);
            assertThat(s.removeService(ids.get(1))).isTrue();
            assertThat(s.service(ids.get(1))).isEmpty();
            assertThat(s.services()).extracting(KeyServiceDefinition::serviceId)
                    .containsExactlyElementsOf(sorted.stream().filter(id -> !id.equals(ids.get(1))).toList());
        }
        try (ServiceKeyStore s = ServiceKeyStore.open(dir.resolve("svc.mv.db"), keyFile)) {
            assertThat(s.services()).extracting(KeyServiceDefinition::serviceId)
                    .containsExactlyElementsOf(sorted.stream().filter(id -> !id.equals(ids.get(1))).toList());
            assertThat(s.service(ids.get(0)).orElseThrow().slaveSaeId()).isEqualTo("sae-c");
        }
    }
}

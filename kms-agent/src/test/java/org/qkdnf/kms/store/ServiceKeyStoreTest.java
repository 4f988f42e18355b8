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
import org.qkdnf.kms.store.ServiceKeyStore.AssignedBatch;
import org.qkdnf.kms.store.ServiceKeyStore.CarvedBatch;
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
                destination.assignBatch(d.serviceId(), source.carve(d.serviceId(), 2, 32).assignment());
            }
            assertThat(destination.assignedKeyCount("sae-a", "sae-b")).isEqualTo(4);
            destination.removeService(SERVICE);
            assertThat(destination.assignedKeyCount("sae-a", "sae-b")).as("the removed route's keys still wait").isEqualTo(4);
            assertThat(destination.assignedKeyCount("sae-b", "sae-a")).isZero();
        }
    }

    @Test
    void destinationAcceptsBatchesInAnyOrderButNeverAByteTwice() throws Exception {
        byte[] c1 = random(64);
        byte[] c2 = random(64);
        List<CarvedBatch> carved = new ArrayList<>();
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c1.clone());
                s.putChunk(SERVICE, 2, c2.clone());
            }
            assertThat(source.availableBits(SERVICE)).isEqualTo(128 * 8);
            carved.add(source.carve(SERVICE, 2, 24));
            carved.add(source.carve(SERVICE, 2, 24)); // bytes 48..96: its first key spans both chunks
            assertThat(source.availableBits(SERVICE)).isEqualTo(32 * 8);
            assertThat(carved.get(1).assignment().segments()).containsExactly(new ServiceKeyStore.Segment(1, 48, 16),
                    new ServiceKeyStore.Segment(2, 0, 32));
            List<CarvedBatch> shuffled = new ArrayList<>(carved);
            Collections.reverse(shuffled);
            for (CarvedBatch b : shuffled) {
                destination.assignBatch(SERVICE, b.assignment());
            }
            assertThat(destination.assignedKeyCount(SERVICE)).isEqualTo(4);
            for (CarvedBatch b : carved) {
                for (CarvedKey k : b.keys()) {
                    assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
                }
            }
            assertThat(java.util.Arrays.copyOf(carved.get(1).keys().get(0).key(), 16))
                    .isEqualTo(java.util.Arrays.copyOfRange(c1, 48, 64));
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
            AssignedBatch first = carved.get(0).assignment();
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new AssignedBatch(firstKeyId(), 2, 24,
                    first.segments()))).isInstanceOfSatisfying(ServiceKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new AssignedBatch(firstKeyId(), 1, 8,
                    List.of(new ServiceKeyStore.Segment(2, 16, 8))))).hasMessageContaining("overlaps");
            assertThatThrownBy(() -> destination.takeAssigned(SERVICE, carved.get(0).keys().get(0).keyId()))
                    .hasMessageContaining("already delivered");
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, first))
                    .as("repeated once its keys are taken: its record is gone, its bytes used")
                    .isInstanceOfSatisfying(ServiceKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
        }
        // Counters are rebuilt from the files.
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            assertThat(source.availableBits(SERVICE)).isEqualTo(32 * 8);
            assertThat(destination.availableBits(SERVICE)).isEqualTo(32 * 8);
            assertThat(source.carve(SERVICE, 1, 32).keys().get(0).key()).isEqualTo(java.util.Arrays.copyOfRange(c2, 32, 64));
            assertThatThrownBy(() -> source.carve(SERVICE, 1, 8)).isInstanceOf(ServiceKeyException.class)
                    .hasMessageContaining("asked");
        }
    }

    /** A first key id as the source mints them: the last bits, which number a batch's keys, are 0. */
    private static UUID firstKeyId() {
        UUID r = UUID.randomUUID();
        return new UUID(r.getMostSignificantBits(), r.getLeastSignificantBits() & -(long) ServiceKeyStore.MAX_BATCH_KEYS);
    }

    /** Keys stored in pages are taken in any order, each once, across a restart; the last one takes the page. */
    @Test
    void aBatchIsStoredInPagesAndEachKeyIsTakenOnceInAnyOrderAcrossARestart() throws Exception {
        int n = 3 * ServiceKeyStore.PAGE_KEYS + 5;
        CarvedBatch batch;
        List<CarvedKey> order;
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            byte[] c = random(n * 32);
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c.clone());
            }
            batch = source.carve(SERVICE, n, 32);
            destination.assignBatch(SERVICE, batch.assignment());
            order = new ArrayList<>(batch.keys());
            Collections.shuffle(order, new java.util.Random(7));
            for (CarvedKey k : order.subList(0, n / 2)) {
                assertThat(destination.takeAssigned(k.keyId(), "sae-a", "sae-b")).isEqualTo(k.key());
            }
            assertThat(destination.assignedKeyCount(SERVICE)).isEqualTo(n - n / 2);
            UUID pastTheEnd = ServiceKeyStore.keyId(batch.assignment().firstKeyId(), n);
            assertThatThrownBy(() -> destination.takeAssigned(SERVICE, pastTheEnd)).hasMessageContaining("unknown");
        }
        try (ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            assertThat(destination.assignedKeyCount(SERVICE)).as("counted again from the pages").isEqualTo(n - n / 2);
            for (CarvedKey k : order.subList(0, n / 2)) {
                assertThatThrownBy(() -> destination.takeAssigned(SERVICE, k.keyId())).hasMessageContaining("already");
            }
            for (CarvedKey k : order.subList(n / 2, n)) {
                assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
            }
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
            assertThat(batch.keys()).extracting(CarvedKey::keyId).doesNotHaveDuplicates().allSatisfy(id -> {
                assertThat(id.version()).as("time-ordered random UUID").isEqualTo(7);
                assertThat(id.variant()).isEqualTo(2);
            });
        }
    }

    /** Discarded ids are erased and barred: a batch not yet assigned can never be, an assigned one keeps its record. */
    @Test
    void discardedKeysAreErasedAndTheirBatchesBarred() throws Exception {
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            byte[] c = random(256);
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c.clone());
            }
            CarvedBatch assigned = source.carve(SERVICE, 4, 32);
            CarvedBatch inFlight = source.carve(SERVICE, 4, 32);
            destination.assignBatch(SERVICE, assigned.assignment());
            List<UUID> ids = new ArrayList<>();
            assigned.keys().forEach(k -> ids.add(k.keyId()));
            inFlight.keys().forEach(k -> ids.add(k.keyId()));
            assertThat(destination.takeAssigned(SERVICE, ids.get(0))).isEqualTo(assigned.keys().get(0).key());
            assertThat(destination.discardAssigned(SERVICE, ids)).as("the three keys still waiting").isEqualTo(3);
            assertThat(destination.discardAssigned(SERVICE, ids)).as("repeated: nothing left").isZero();
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, inFlight.assignment()))
                    .hasMessageContaining("discarded");
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, assigned.assignment()))
                    .as("a repeat brings nothing back").isInstanceOf(ServiceKeyException.class);
            for (UUID id : ids) {
                assertThatThrownBy(() -> destination.takeAssigned(SERVICE, id)).hasMessageContaining("unknown");
            }
            assertThat(destination.availableBits(SERVICE)).as("the in-flight batch's bytes are never assigned")
                    .isEqualTo((256 - 128) * 8);
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
            CarvedBatch batch = source.carve(SERVICE, 3, 32);
            destination.assignBatch(SERVICE, batch.assignment());
            carved = batch.keys();
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

    /**
     * A service relays and serves many chunks, some relays failing and one cut by a restart: the
     * stores keep a few records, not one per chunk ever relayed, and after the restart no key,
     * batch or chunk is served or kept again.
     */
    @Test
    void aLongRunningServiceKeepsFewRecordsAndServesNothingTwiceAfterARestart() throws Exception {
        List<CarvedKey> served = new ArrayList<>();
        List<AssignedBatch> assigned = new ArrayList<>();
        long lastStored;
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            source.putService(DEF);
            destination.putService(DEF);
            lastStored = relayAndServe(source, destination, 48, served, assigned);
            source.takeSequence(SERVICE);  // in flight when the source stops: never completes
        }
        assertThat(served).hasSizeGreaterThan(100);
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            for (CarvedKey k : served) {
                assertThatThrownBy(() -> destination.takeAssigned(SERVICE, k.keyId()))
                        .isInstanceOfSatisfying(ServiceKeyException.class,
                                e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.UNKNOWN_KEY));
            }
            for (AssignedBatch b : List.of(assigned.get(0), assigned.get(assigned.size() - 1))) {
                assertThatThrownBy(() -> destination.assignBatch(SERVICE, b)).as("a batch assigned again")
                        .isInstanceOfSatisfying(ServiceKeyException.class,
                                e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
            }
            for (long sequence : new long[] {1, lastStored}) {
                for (ServiceKeyStore s : List.of(source, destination)) {
                    assertThatThrownBy(() -> s.putChunk(SERVICE, sequence, random(CHUNK))).as("chunk %d again", sequence)
                            .isInstanceOfSatisfying(ServiceKeyException.class,
                                    e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
                }
            }
            relayAndServe(source, destination, 8, served, assigned);
            assertThat(served.stream().map(CarvedKey::keyId).distinct().count()).isEqualTo(served.size());
        }
    }

    private static final int CHUNK = 96;

    /**
     * {@code chunks} relays (every fifth one failing), each chunk stored at both ends, carved in
     * batches of two 32-byte keys (so batches span chunks), assigned and taken; checks the records
     * after each. Returns the last sequence stored.
     */
    private static long relayAndServe(ServiceKeyStore source, ServiceKeyStore destination, int chunks,
                                      List<CarvedKey> served, List<AssignedBatch> assigned) {
        long lastStored = 0;
        for (int i = 0; i < chunks; i++) {
            long sequence = source.takeSequence(SERVICE);
            if (i % 5 == 2) {
                source.abandonSequence(SERVICE, sequence);  // the relay failed before the destination
                continue;
            }
            byte[] chunk = random(CHUNK);
            destination.putChunk(SERVICE, sequence, chunk.clone());
            source.putChunk(SERVICE, sequence, chunk);
            lastStored = sequence;
            while (source.availableBits(SERVICE) >= 2 * 32 * 8) {
                CarvedBatch b = source.carve(SERVICE, 2, 32);
                destination.assignBatch(SERVICE, b.assignment());
                assigned.add(b.assignment());
                for (CarvedKey k : b.keys()) {
                    assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
                    served.add(k);
                }
            }
            assertThat(source.keyRecordCount()).as("source records after chunk %d", sequence).isLessThanOrEqualTo(4);
            assertThat(destination.keyRecordCount()).as("destination records after chunk %d", sequence)
                    .isLessThanOrEqualTo(5);
        }
        return lastStored;
    }

    @Test
    void aSegmentOfAChunkNotYetArrivedWaitsAndAChunkIsStoredOnce() throws Exception {
        try (ServiceKeyStore s = ServiceKeyStore.open(dir.resolve("s.mv.db"), keyFile)) {
            s.putService(DEF);
            assertThatThrownBy(() -> s.assignBatch(SERVICE, new AssignedBatch(firstKeyId(), 1, 8,
                    List.of(new ServiceKeyStore.Segment(7, 0, 8))))).hasMessageContaining("has not arrived");
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
    void aBatchIsStoredAllOrNothingAndAMalformedOneIsRefusedNamingTheField() throws Exception {
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            byte[] c = random(128);
            for (ServiceKeyStore s : List.of(source, destination)) {
                s.putService(DEF);
                s.putChunk(SERVICE, 1, c.clone());
            }
            CarvedBatch carved = source.carve(SERVICE, 4, 32);
            AssignedBatch batch = carved.assignment();
            // The last key names the first key's bytes again: the whole batch is refused.
            AssignedBatch overlapping = new AssignedBatch(batch.firstKeyId(), 4, 32, List.of(
                    new ServiceKeyStore.Segment(1, 0, 96), new ServiceKeyStore.Segment(1, 0, 32)));
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, overlapping))
                    .isInstanceOfSatisfying(ServiceKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.REPLAY));
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new AssignedBatch(batch.firstKeyId(), 4, 32,
                    List.of(new ServiceKeyStore.Segment(1, 0, 96))))).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageStartingWith("segments:");
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new AssignedBatch(
                    ServiceKeyStore.keyId(batch.firstKeyId(), 1), 4, 32, batch.segments())))
                    .hasMessageStartingWith("first_key_id:");
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new AssignedBatch(batch.firstKeyId(), 0, 32,
                    batch.segments()))).hasMessageStartingWith("count:");
            assertThat(destination.assignedKeyCount(SERVICE)).isZero();
            assertThat(destination.availableBits(SERVICE)).isEqualTo(128 * 8);

            destination.assignBatch(SERVICE, batch);
            destination.assignBatch(SERVICE, batch); // a repeated batch: no-op
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new AssignedBatch(batch.firstKeyId(), 2, 32,
                    List.of(new ServiceKeyStore.Segment(1, 0, 64))))).isInstanceOfSatisfying(ServiceKeyException.class,
                            e -> assertThat(e.reason()).isEqualTo(ServiceKeyException.Reason.CONFLICT));
            assertThat(destination.assignedKeyCount(SERVICE)).isEqualTo(4);
            assertThat(destination.availableBits(SERVICE)).isZero();
            for (int i = 0; i < 4; i++) {
                CarvedKey k = carved.keys().get(i);
                assertThat(k.keyId()).isEqualTo(ServiceKeyStore.keyId(batch.firstKeyId(), i));
                assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key())
                        .isEqualTo(java.util.Arrays.copyOfRange(c, 32 * i, 32 * i + 32));
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

package org.qkdnf.kms.service;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.kms.store.ServiceKeyStore.CarvedKey;
import org.qkdnf.common.atrest.KeyFile;

/**
 * The source's ready run against two real stores, the source's and the destination's, holding the
 * same relayed chunks (the gRPC hop between them is covered by the integration tests).
 */
class KeyPreparerTest {

    static final UUID SERVICE = UUID.fromString("5e000000-0000-4000-8000-000000000002");
    /** A buffer of 2048 keys: the ready run holds at most 1024 of them, in batches of 256. */
    static final KeyServiceDefinition DEF = new KeyServiceDefinition(SERVICE, "sae-a", "sae-b",
            List.of("n1", "n2"), List.of("l1"), 2048L * 256);
    static final int CHUNK_BYTES = 4096;

    @TempDir
    Path dir;
    private Path keyFile;
    private long nextSequence = 1;

    @BeforeEach
    void key() throws Exception {
        keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
    }

    private ServiceKeyStore open(String name) throws Exception {
        ServiceKeyStore s = ServiceKeyStore.open(dir.resolve(name + ".mv.db"), keyFile);
        s.putService(DEF);
        return s;
    }

    /** What the relay does: the same fresh chunks at both ends. */
    private void relay(ServiceKeyStore source, ServiceKeyStore destination, int chunks) {
        SecureRandom random = new SecureRandom();
        for (int i = 0; i < chunks; i++) {
            byte[] c = new byte[CHUNK_BYTES];
            random.nextBytes(c);
            long seq = nextSequence++;
            destination.putChunk(SERVICE, seq, c.clone());
            source.putChunk(SERVICE, seq, c);
        }
    }

    private static KeyPreparer.BatchAssigner directTo(ServiceKeyStore destination) {
        return (node, service, batch) -> destination.assignBatch(service, batch.assignment());
    }

    private static KeyPreparer.BatchDiscarder discardAt(ServiceKeyStore destination) {
        return (node, service, ids) -> destination.discardAssigned(service, ids);
    }

    /** Takes one key, waiting for the preparer while the run is empty. */
    private static CarvedKey takeOne(KeyPreparer p) throws InterruptedException {
        while (true) {
            List<CarvedKey> k = p.take(DEF, 1);
            if (k != null) {
                return k.get(0);
            }
            Thread.sleep(1);
        }
    }

    @Test
    void concurrentRequestsGetEachPreparedKeyOnceAndTheSlaveGetsTheSameKey() throws Exception {
        try (ServiceKeyStore source = open("src"); ServiceKeyStore destination = open("dst")) {
            relay(source, destination, 64); // 8192 keys of 256 bits
            Map<UUID, byte[]> served = new ConcurrentHashMap<>();
            Set<ByteBuffer> keyBytes = ConcurrentHashMap.newKeySet();
            AtomicBoolean repeated = new AtomicBoolean();
            try (KeyPreparer p = new KeyPreparer("n1", source, directTo(destination), discardAt(destination), 256, 2)) {
                p.topUp(DEF);
                int threads = 8;
                int perThread = 250;
                CountDownLatch done = new CountDownLatch(threads);
                List<Thread> workers = new ArrayList<>();
                for (int t = 0; t < threads; t++) {
                    Thread w = new Thread(() -> {
                        try {
                            for (int i = 0; i < perThread; i++) {
                                CarvedKey k = takeOne(p);
                                if (served.put(k.keyId(), k.key().clone()) != null
                                        || !keyBytes.add(ByteBuffer.wrap(k.key().clone()))) {
                                    repeated.set(true);
                                }
                            }
                        } catch (InterruptedException e) {
                            Thread.currentThread().interrupt();
                        } finally {
                            done.countDown();
                        }
                    });
                    workers.add(w);
                    w.start();
                }
                done.await();
            }
            assertThat(repeated).as("a key id or key handed out twice").isFalse();
            assertThat(served).hasSize(2000);
            for (Map.Entry<UUID, byte[]> e : served.entrySet()) {
                assertThat(destination.takeAssigned(SERVICE, e.getKey())).as("the slave's key").isEqualTo(e.getValue());
            }
        }
    }

    @Test
    void afterARestartTheLostReadyRunIsNeverServedAndNoKeyRepeats() throws Exception {
        Map<UUID, byte[]> servedBefore = new java.util.HashMap<>();
        try (ServiceKeyStore source = open("src"); ServiceKeyStore destination = open("dst")) {
            relay(source, destination, 16);
            try (KeyPreparer p = new KeyPreparer("n1", source, directTo(destination), discardAt(destination), 256, 2)) {
                p.topUp(DEF);
                for (int i = 0; i < 100; i++) {
                    CarvedKey k = takeOne(p);
                    servedBefore.put(k.keyId(), k.key().clone());
                }
                while (p.readyKeys(SERVICE) == 0) {
                    Thread.sleep(1);
                }
            } // the ready run dies with the preparer, as with the process
        }
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            assertThat(destination.assignedKeyCount(SERVICE)).as("assigned: the served keys and the lost run")
                    .isGreaterThan(servedBefore.size());
            relay(source, destination, 8);
            Set<ByteBuffer> before = new HashSet<>();
            servedBefore.values().forEach(b -> before.add(ByteBuffer.wrap(b)));
            try (KeyPreparer p = new KeyPreparer("n1", source, directTo(destination), discardAt(destination), 256, 2)) {
                p.topUp(DEF);
                for (int i = 0; i < 500; i++) {
                    CarvedKey k = takeOne(p);
                    assertThat(servedBefore).doesNotContainKey(k.keyId());
                    assertThat(before).as("key bytes served before the restart").doesNotContain(ByteBuffer.wrap(k.key()));
                    assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
                }
            }
            // The slave still gets exactly the keys served before the restart, once.
            for (Map.Entry<UUID, byte[]> e : servedBefore.entrySet()) {
                assertThat(destination.takeAssigned(SERVICE, e.getKey())).isEqualTo(e.getValue());
                assertThatThrownBy(() -> destination.takeAssigned(SERVICE, e.getKey()))
                        .hasMessageContaining("already delivered");
            }
        }
    }

    @Test
    void aBatchTheDestinationDidNotAcknowledgeIsNeverServed() throws Exception {
        try (ServiceKeyStore source = open("src"); ServiceKeyStore destination = open("dst")) {
            relay(source, destination, 16);
            Set<UUID> dropped = ConcurrentHashMap.newKeySet();
            AtomicBoolean failNext = new AtomicBoolean(true);
            KeyPreparer.BatchAssigner flaky = (node, service, batch) -> {
                // The destination stores the batch, but its answer is lost.
                directTo(destination).assign(node, service, batch);
                if (failNext.getAndSet(false)) {
                    batch.keys().forEach(k -> dropped.add(k.keyId()));
                    throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE, "answer lost");
                }
            };
            try (KeyPreparer p = new KeyPreparer("n1", source, flaky, discardAt(destination), 256, 1)) {
                p.topUp(DEF);
                for (int i = 0; i < 600; i++) {
                    CarvedKey k = takeOne(p);
                    assertThat(dropped).doesNotContain(k.keyId());
                    assertThat(destination.takeAssigned(SERVICE, k.keyId())).isEqualTo(k.key());
                }
            }
            assertThat(dropped).as("the first batch failed").isNotEmpty();
        }
    }

    @Test
    void afterARestartTheDestinationDiscardsTheLostBatchesAndKeepsEveryServedKey() throws Exception {
        Map<UUID, byte[]> served = new java.util.HashMap<>();
        List<ServiceKeyStore.PreparedBatch> lost;
        try (ServiceKeyStore source = open("src"); ServiceKeyStore destination = open("dst")) {
            relay(source, destination, 16); // 2048 keys: 1024 ready at most, in batches of 256
            try (KeyPreparer p = new KeyPreparer("n1", source, directTo(destination), discardAt(destination), 256, 2)) {
                p.topUp(DEF);
                for (int i = 0; i < 300; i++) {
                    CarvedKey k = takeOne(p);
                    served.put(k.keyId(), k.key().clone());
                }
                while (p.readyKeys(SERVICE) < 700) {  // batches waiting unopened behind the opened ones
                    Thread.sleep(1);
                }
            } // the ready run dies with the preparer, as with the process
            lost = source.preparedBatches();
            assertThat(lost).as("batches prepared and never opened").isNotEmpty();
        }
        List<UUID> lostIds = lost.stream().flatMap(b -> b.keyIds().stream()).toList();
        assertThat(lostIds).doesNotContainAnyElementsOf(served.keySet());
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src.mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst.mv.db"), keyFile)) {
            long before = destination.assignedKeyCount(SERVICE);
            try (KeyPreparer p = new KeyPreparer("n1", source, directTo(destination), discardAt(destination), 256, 2)) {
                p.recoverLostBatches();
                while (!source.preparedBatches().isEmpty()) {
                    Thread.sleep(5);
                }
            }
            assertThat(destination.assignedKeyCount(SERVICE)).isEqualTo(before - lostIds.size());
            for (UUID id : lostIds) {
                assertThatThrownBy(() -> destination.takeAssigned(SERVICE, id)).hasMessageContaining("unknown");
            }
            // A late assignment of a discarded batch cannot bring its keys back.
            ServiceKeyStore.PreparedBatch first = lost.get(0);
            assertThatThrownBy(() -> destination.assignBatch(SERVICE, new ServiceKeyStore.AssignedBatch(
                    first.keyIds().get(0), 1, 32, List.of(new ServiceKeyStore.Segment(1, 0, 32)))))
                    .isInstanceOf(ServiceKeyStore.ServiceKeyException.class);
            assertThatThrownBy(() -> destination.takeAssigned(SERVICE, first.keyIds().get(0)))
                    .hasMessageContaining("unknown");
            for (Map.Entry<UUID, byte[]> e : served.entrySet()) {
                assertThat(destination.takeAssigned(SERVICE, e.getKey())).as("a key the master got").isEqualTo(e.getValue());
            }
        }
    }
}

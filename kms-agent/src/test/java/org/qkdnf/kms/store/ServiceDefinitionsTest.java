package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.common.atrest.SealedStoreFile;
import org.qkdnf.kms.api.KeyServiceDefinition;

/**
 * The installed routes in their binary records: every id reads back as exactly the text it was
 * put with, a store written in the string format of earlier versions is migrated on open (and
 * keeps its routes), a record of an unknown format refuses the open with the service named, and
 * a batch of installs costs one sync.
 */
class ServiceDefinitionsTest {

    @TempDir
    Path dir;
    private Path keyFile;

    @BeforeEach
    void key() throws Exception {
        keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
    }

    private static KeyServiceDefinition route(UUID id, String... nodes) {
        List<String> links = new ArrayList<>();
        for (int i = 1; i < nodes.length; i++) {
            links.add(UUID.nameUUIDFromBytes((nodes[i - 1] + nodes[i]).getBytes()).toString());
        }
        return new KeyServiceDefinition(id, "sae-m." + id.getLeastSignificantBits(), "sae:s-1", List.of(nodes), links,
                1L << 20);
    }

    @Test
    void everyIdReadsBackAsTheTextItWasPutWith() {
        KeyServiceDefinition d = new KeyServiceDefinition(UUID.randomUUID(), "sae-a", "sae-b",
                List.of("a0000000-0000-4000-8000-00000000000a", "B0000000-0000-4000-8000-00000000000B",
                        "node_3.example", "c0000000-0000-4000-8000-00000000000"),
                List.of("ab000000-0000-4000-8000-0000000000ab", "l2", "x".repeat(128)), 8);
        assertThat(ServiceDefinitions.decode(d.serviceId(), ServiceDefinitions.encode(d))).isEqualTo(d);
    }

    @Test
    void aStoreOfTheStringFormatIsMigratedOnOpenAndKeepsItsRoutes() throws Exception {
        Path file = dir.resolve("services.mv.db");
        List<KeyServiceDefinition> routes = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            routes.add(route(UUID.randomUUID(), UUID.randomUUID().toString(), "n-" + i, UUID.randomUUID().toString()));
        }
        SealedStoreFile.Opened old = SealedStoreFile.open(file, KeyFile.read(keyFile), "test");
        MVMap<String, String> legacy = old.mv().openMap(ServiceDefinitions.LEGACY_MAP);
        routes.forEach(d -> legacy.put(d.serviceId().toString(), ServiceDefinitions.toText(d)));
        old.mv().close();

        List<KeyServiceDefinition> sorted = new ArrayList<>(routes);
        sorted.sort(java.util.Comparator.comparing(d -> d.serviceId().toString()));
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            assertThat(s.services()).containsExactlyElementsOf(sorted);
        }
        MVStore raw = new MVStore.Builder().fileName(file.toString()).readOnly().open();
        try {
            assertThat(raw.hasMap(ServiceDefinitions.LEGACY_MAP)).as("the string map is gone").isFalse();
            assertThat(raw.hasMap(ServiceDefinitions.MAP)).isTrue();
        } finally {
            raw.close();
        }
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            assertThat(s.services()).as("after a second open").containsExactlyElementsOf(sorted);
            s.removeService(sorted.get(0).serviceId());
        }
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            assertThat(s.services()).containsExactlyElementsOf(sorted.subList(1, sorted.size()));
        }
    }

    @Test
    void aRecordOfAnUnknownFormatRefusesTheOpenNamingTheService() throws Exception {
        Path file = dir.resolve("services.mv.db");
        KeyServiceDefinition d = route(UUID.randomUUID(), "n1", "n2");
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            s.putService(d);
        }
        MVStore raw = new MVStore.Builder().fileName(file.toString()).open();
        MVMap<UUID, byte[]> map = raw.openMap(ServiceDefinitions.MAP, new MVMap.Builder<UUID, byte[]>()
                .keyType(UuidDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
        byte[] record = map.get(d.serviceId());
        record[0] = 9;
        map.put(d.serviceId(), record);
        raw.close();

        assertThatThrownBy(() -> ServiceKeyStore.open(file, keyFile)).isInstanceOf(IOException.class)
                .hasMessageContaining(file.toString())
                .hasMessageContaining("stored key service " + d.serviceId())
                .hasMessageContaining("record format 9");
        record[0] = 1;
        raw = new MVStore.Builder().fileName(file.toString()).open();
        raw.openMap(ServiceDefinitions.MAP, new MVMap.Builder<UUID, byte[]>()
                .keyType(UuidDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE))
                .put(d.serviceId(), record);
        raw.close();
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            assertThat(s.services()).as("the refused open left the file usable").containsExactly(d);
        }
    }

    @Test
    void theRoutesOfAnSaePairAreFoundByThePairInIdOrderThroughReplacementsRemovalsAndReopens() throws Exception {
        UUID first = new UUID(0x0000_0001_0000_7000L, 0x8000_0000_0000_0001L);
        UUID second = new UUID(0x0000_0002_0000_7000L, 0x8000_0000_0000_0001L);
        UUID other = new UUID(0x0000_0003_0000_7000L, 0x8000_0000_0000_0001L);
        KeyServiceDefinition a1 = new KeyServiceDefinition(first, "sae-a", "sae-b", List.of("n1", "n2"), List.of("l1"), 8);
        KeyServiceDefinition a2 = new KeyServiceDefinition(second, "sae-a", "sae-b", List.of("n1", "n3", "n2"),
                List.of("l2", "l3"), 8);
        KeyServiceDefinition b = new KeyServiceDefinition(other, "sae-c", "sae-b", List.of("n1", "n2"), List.of("l1"), 8);
        Path file = dir.resolve("services.mv.db");
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            s.putServicesAsync(List.of(a2, b, a1)).join();
            assertThat(s.services("sae-a", "sae-b")).containsExactly(a1, a2);
            assertThat(s.services("sae-c", "sae-b")).containsExactly(b);
            assertThat(s.services("sae-b", "sae-a")).isEmpty();
            KeyServiceDefinition movedToOtherPair = new KeyServiceDefinition(first, "sae-c", "sae-b", List.of("n1", "n2"),
                    List.of("l1"), 8);
            s.putService(movedToOtherPair);
            assertThat(s.services("sae-a", "sae-b")).containsExactly(a2);
            assertThat(s.services("sae-c", "sae-b")).containsExactly(movedToOtherPair, b);
            s.removeService(other);
            assertThat(s.services("sae-c", "sae-b")).containsExactly(movedToOtherPair);
        }
        try (ServiceKeyStore s = ServiceKeyStore.open(file, keyFile)) {
            assertThat(s.services("sae-a", "sae-b")).containsExactly(a2);
            assertThat(s.services("sae-c", "sae-b")).extracting(KeyServiceDefinition::serviceId).containsExactly(first);
        }
    }

    @Test
    void aBatchOfInstallsIsOneSync() throws Exception {
        List<KeyServiceDefinition> batch = new ArrayList<>();
        for (int i = 0; i < 100; i++) {
            batch.add(route(UUID.randomUUID(), "n1", "n2", "n3"));
        }
        try (ServiceKeyStore s = ServiceKeyStore.open(dir.resolve("services.mv.db"), keyFile)) {
            long before = s.syncCount();
            s.putServicesAsync(batch).join();
            assertThat(s.syncCount() - before).isEqualTo(1);
            assertThat(s.services()).hasSize(100);
        }
    }
}

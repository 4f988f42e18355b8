package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.KeyServiceDefinition;

/**
 * A service's relayed key at its source churns like a pool's: chunks stored, carved into keys,
 * erased. Its file must stay near what it holds, not grow with what went through (before the
 * stores shortened MVStore's retention time, this test's 32 MiB went straight into the file).
 */
class ServiceFileBoundTest {

    private static final UUID SERVICE = UUID.fromString("5e000000-0000-4000-8000-0000000000b0");
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int CHUNKS = 512;
    /** MVStore's own pages and free space between chunks, and a few chunks per kept commit. */
    private static final long BOUND_BYTES = (4L << 20) + 7 * 2L * CHUNK_BYTES;

    @TempDir
    Path dir;

    @Test
    void theSourcesFileStaysNearWhatItHoldsWhileManyTimesThatGoesThrough() throws Exception {
        Path keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        Path file = dir.resolve("services.mv.db");
        byte[] chunk = new byte[CHUNK_BYTES];
        SecureRandom random = new SecureRandom();
        long maxFile = 0;
        try (ServiceKeyStore source = ServiceKeyStore.open(file, keyFile)) {
            source.putService(new KeyServiceDefinition(SERVICE, "sae-a", "sae-b", List.of("n1", "n2"),
                    List.of("l1"), 8L * CHUNK_BYTES * 8));
            for (int i = 0; i < CHUNKS; i++) {
                random.nextBytes(chunk);
                source.putChunk(SERVICE, source.takeSequence(SERVICE), chunk.clone());
                source.carve(SERVICE, 64, CHUNK_BYTES / 64).keys().forEach(k -> Arrays.fill(k.key(), (byte) 0));
                maxFile = Math.max(maxFile, Files.size(file));
            }
            assertThat(source.availableBits(SERVICE)).isZero();
        }
        assertThat(maxFile).as("largest file size, bytes, after %d MiB of service key",
                (long) CHUNKS * CHUNK_BYTES >> 20).isLessThan(BOUND_BYTES);
    }
}

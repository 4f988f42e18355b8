package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.api.ReservedKey;

/**
 * A pool churns for months with a live set of a few Mbit: its file must stay near the live set, not
 * grow with the key that went through it. Before the store shortened MVStore's retention time the
 * file held every chunk of the last 45 s, so this test's 96 MiB went straight into the file.
 */
class PoolFileBoundTest {

    private static final int BLOCK_BYTES = 1024;
    private static final int BATCH = 256;
    private static final int BATCH_BYTES = BLOCK_BYTES * BATCH;
    private static final long LIVE_BITS = 4L << 20;  // 4 Mbit, 512 KiB
    private static final long VOLUME_BYTES = 96L << 20;
    /**
     * The file may hold the live set and the batch in flight in each commit MVStore still keeps
     * (versionsToKeep, 5) and the one being written, plus 4 MiB for MVStore's own pages and free
     * space left between chunks. 10 MiB here, under a tenth of the volume.
     */
    private static final long BOUND_BYTES = (4L << 20) + 7 * (LIVE_BITS / 8 + BATCH_BYTES);

    @TempDir
    Path dir;

    @Test
    void theFileStaysNearTheLiveSetWhileManyTimesItGoesThrough() throws IOException {
        Path keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        Path storeFile = dir.resolve("pools.mv.db");
        String link = "churn";
        List<PoolBlock> template = new TestStreams(link, BLOCK_BYTES).blocks(0, BATCH);
        long maxFile = 0;
        PoolLevels acknowledged;
        Path snapshot = dir.resolve("snapshot.mv.db");
        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(storeFile, keyFile)) {
            store.definePool(link, LIVE_BITS + 2L * BATCH_BYTES * 8);
            for (long next = 0; next * BLOCK_BYTES < VOLUME_BYTES; next += BATCH) {
                List<PoolBlock> blocks = new ArrayList<>(BATCH);
                for (int i = 0; i < BATCH; i++) {
                    blocks.add(new PoolBlock(new UUID(next + i, 1), next + i, template.get(i).key()));
                }
                store.append(link, blocks);
                long excess = store.availableBits(link) - LIVE_BITS;
                if (excess > 0) {
                    store.reserve(link, excess / 8 * 8).erase();
                }
                maxFile = Math.max(maxFile, store.fileBytes());
            }
            acknowledged = store.levels(link);
            // The file as a kill -9 would leave it: what the last sync wrote, over reused space.
            Files.copy(storeFile, snapshot);
        }

        assertThat(maxFile).as("largest file size, bytes, after %d MiB through a %d KiB live set",
                VOLUME_BYTES >> 20, LIVE_BITS / 8 / 1024).isLessThan(BOUND_BYTES);
        assertThat(acknowledged.consumedBits()).isGreaterThan(10 * BOUND_BYTES * 8);
        try (MvStoreKeyPoolStore reopened = MvStoreKeyPoolStore.open(snapshot, keyFile)) {
            assertThat(reopened.levels(link)).isEqualTo(acknowledged);
            ReservedKey rest = reopened.reserve(link, acknowledged.availableBits());
            assertThat(rest.key()).isEqualTo(expected(template, acknowledged.consumedBits() / 8, rest.key().length));
        }
    }

    /** Bytes of the churned stream from {@code from}: block {@code n} holds template block {@code n % BATCH}. */
    private static byte[] expected(List<PoolBlock> template, long from, int length) {
        byte[] out = new byte[length];
        for (int filled = 0; filled < length; ) {
            long pos = from + filled;
            byte[] block = template.get((int) ((pos / BLOCK_BYTES) % BATCH)).key();
            int offset = (int) (pos % BLOCK_BYTES);
            int n = Math.min(BLOCK_BYTES - offset, length - filled);
            System.arraycopy(block, offset, out, filled, n);
            filled += n;
        }
        assertThat(Arrays.equals(out, new byte[length])).isFalse();
        return out;
    }
}

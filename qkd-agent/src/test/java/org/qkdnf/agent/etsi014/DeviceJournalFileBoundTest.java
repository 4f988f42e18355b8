package org.qkdnf.agent.etsi014;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.driver.KeyBlock;

/**
 * A journal holds a device's unacknowledged blocks only; its file must stay near that, not near
 * what went through it. 64 MiB of key through a journal that never holds more than 512 KiB: with
 * MVStore's default retention (45 s, longer than this test) the file holds all 64 MiB.
 */
class DeviceJournalFileBoundTest {

    private static final int BLOCK_BYTES = 8192;
    private static final int BLOCKS_PER_APPEND = 64;
    private static final int APPENDS = 128;

    @TempDir
    Path dir;

    @Test
    void theFileStaysNearWhatIsUnacknowledgedWhateverWentThrough() throws Exception {
        long next = 0;
        long largest = 0;
        Path file = dir.resolve("module.journal");
        try (DeviceJournal journal = DeviceJournal.open(dir, "module")) {
            journal.restore("link-1");
            for (int a = 0; a < APPENDS; a++) {
                List<KeyBlock> taken = new ArrayList<>();
                for (int b = 0; b < BLOCKS_PER_APPEND; b++) {
                    byte[] key = new byte[BLOCK_BYTES];
                    key[0] = (byte) next;
                    taken.add(new KeyBlock(UUID.randomUUID(), next++, key));
                }
                journal.append(taken, true);
                journal.blocksAcknowledged(next);
                journal.idsAcknowledged(next);
                largest = Math.max(largest, Files.size(file));
            }
        }
        long through = (long) APPENDS * BLOCKS_PER_APPEND * BLOCK_BYTES;
        assertThat(largest).as("largest file size after %d MiB through the journal", through >> 20)
                .isLessThan(16L << 20);

        try (DeviceJournal reopened = DeviceJournal.open(dir, "module")) {
            DeviceJournal.Restored r = reopened.restore("link-1");
            assertThat(r.nextIndex()).isEqualTo(next);
            assertThat(r.blocks()).as("everything was acknowledged").isEmpty();
            assertThat(r.ids()).isEmpty();
        }
    }
}

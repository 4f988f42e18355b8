package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.common.atrest.SealedStoreFile;
import org.qkdnf.kms.api.PoolLevels;

/**
 * Opening a store compacts its file ({@link GroupCommit#COMPACT_AT_OPEN_MILLIS}): the live chunks
 * move to the front and the file is cut. A grown file (dead space, then a live page near its end)
 * shrinks, and a key manager killed at any point of that compaction reopens with exactly the key
 * it had: same levels, same bytes at the watermark.
 */
class CompactAtOpenCrashTest {

    private static final String LINK = "link-1";
    private static final int BLOCK = 4096;
    private static final int FILLER_MIB = 48;
    private static final TestStreams STREAM = new TestStreams(LINK, BLOCK);

    @TempDir
    Path dir;

    @Test
    void aGrownFileShrinksAtOpenAndAKillDuringItLosesNothing() throws Exception {
        Path keyFile = dir.resolve("store.key");
        Path grown = dir.resolve("grown.mv.db");
        PoolLevels before = grownStore(grown, keyFile);
        long grownBytes = Files.size(grown);
        assertThat(grownBytes).isGreaterThan(FILLER_MIB << 20);

        int[] killAfterMillis = {0, 50, 100, 200, 400, 800};
        for (int round = 0; round < killAfterMillis.length; round++) {
            Path copy = dir.resolve("round-" + round + ".mv.db");
            Files.copy(grown, copy);
            openAndKill(copy, keyFile, killAfterMillis[round], round);
            try (MvStoreKeyPoolStore reopened = MvStoreKeyPoolStore.open(copy, keyFile)) {
                assertThat(reopened.levels(LINK)).as("levels after a kill %d ms into the open", killAfterMillis[round])
                        .isEqualTo(before);
                assertThat(reopened.fileBytes()).as("file after the open that finished the compaction")
                        .isLessThan(grownBytes / 8);
                assertThat(reopened.reserve(LINK, 4096 * 8).key()).isEqualTo(STREAM.bytes(1000, 4096));
            }
            Files.delete(copy);
        }
    }

    /**
     * What a kill can leave between the two steps of a compaction: the live pages already rewritten
     * into fresh, full chunks at the end of the file, the file not yet cut. MVStore's compactFile
     * then finds nothing to rewrite and, so, moves nothing either; the open must still cut it.
     */
    @Test
    void aFileRewrittenButNotCutByAKilledCompactionIsCutAtTheNextOpen() throws Exception {
        Path keyFile = dir.resolve("store.key");
        Path file = dir.resolve("rewritten.mv.db");
        PoolLevels before = grownStore(file, keyFile);
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store");
        MVStore mv = opened.mv();
        while (mv.compact(100, Integer.MAX_VALUE)) {
            mv.sync();  // every live page into new chunks behind the dead space; no chunk moved yet
        }
        mv.sync();
        mv.closeImmediately();
        long rewrittenBytes = Files.size(file);
        assertThat(rewrittenBytes).isGreaterThan(FILLER_MIB << 20);

        try (MvStoreKeyPoolStore reopened = MvStoreKeyPoolStore.open(file, keyFile)) {
            assertThat(reopened.fileBytes()).isLessThan(rewrittenBytes / 8);
            assertThat(reopened.levels(LINK)).isEqualTo(before);
            assertThat(reopened.reserve(LINK, 4096 * 8).key()).isEqualTo(STREAM.bytes(1000, 4096));
        }
    }

    /**
     * A store holding one pool of 64 blocks with its first 1,000 bytes taken, grown by
     * {@link #grow}; returns the pool's levels. The key is {@link #STREAM}'s.
     */
    private static PoolLevels grownStore(Path file, Path keyFile) throws IOException {
        KeyFile.create(keyFile);
        PoolLevels levels;
        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(file, keyFile)) {
            store.definePool(LINK, 1L << 30);
            store.append(LINK, STREAM.blocks(0, 64));
            store.reserve(LINK, 1000 * 8).erase();
            levels = store.levels(LINK);
        }
        grow(file, keyFile);
        return levels;
    }

    /**
     * Makes the file the way the old retention time left them: a lot of dead space (a map written
     * and removed) and then a live page written after it, so the file cannot simply be cut.
     */
    private static void grow(Path file, Path keyFile) throws IOException {
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store");
        MVStore mv = opened.mv();
        MVMap<Integer, byte[]> filler = mv.openMap("filler");
        byte[] mib = new byte[1 << 20];
        for (int i = 0; i < FILLER_MIB; i++) {
            filler.put(i, mib);
            mv.commit();
        }
        mv.openMap("late").put(0, new byte[16]);
        mv.commit();
        mv.removeMap(filler);
        mv.commit();
        MVMap<Integer, byte[]> late = mv.openMap("late");
        for (int i = 0; i < 10; i++) {  // the filler's chunks are dead for more than MVStore's versionsToKeep
            late.put(1, new byte[16]);
            mv.commit();
        }
        mv.sync();
        mv.closeImmediately();  // as a crash would leave it: no compaction on close
    }

    private void openAndKill(Path storeFile, Path keyFile, int afterMillis, int round) throws Exception {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path out = dir.resolve("opener-" + round + ".out");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                Opener.class.getName(), storeFile.toString(), keyFile.toString())
                .redirectOutput(out.toFile())
                .redirectError(dir.resolve("opener-" + round + ".err").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (p.isAlive() && System.nanoTime() < deadline && !Files.readString(out).contains("opening")) {
                Thread.sleep(1);
            }
            Thread.sleep(afterMillis);
            p.destroyForcibly();  // SIGKILL, wherever the open is
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        assertThat(Files.readString(out, StandardCharsets.UTF_8)).as("opener %d started", round).contains("opening");
    }

    /** The child process: opens the store (which compacts it) and then waits to be killed. */
    public static final class Opener {
        private Opener() {
        }

        public static void main(String[] args) throws Exception {
            System.out.println("opening");
            System.out.flush();
            MvStoreKeyPoolStore.open(Path.of(args[0]), Path.of(args[1]));
            System.out.println("open");
            System.out.flush();
            Thread.sleep(60_000);
        }
    }
}

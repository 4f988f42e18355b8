package org.qkdnf.common.atrest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.RandomAccessStore;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The store file's reads into per-thread buffers: every value reads back byte for byte when many
 * threads read pages at once, after chunks were moved, and the file stays locked against other
 * processes while it is open.
 */
class DirectReadFileStoreTest {

    private static final int VALUES = 24;
    private static final int LARGE_BYTES = 3 << 20;

    @TempDir
    Path dir;
    private Path keyFile;

    @BeforeEach
    void keyFile() throws IOException {
        keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
    }

    @Test
    void pagesReadByManyThreadsAtOnceHoldExactlyWhatWasWritten() throws Exception {
        Path file = dir.resolve("a.mv.db");
        writeValues(file);
        // a 1 MB cache holds none of these pages: every get below reads the file
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 1);
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            assertThat(opened.mv().getFileStore()).isInstanceOf(DirectReadFileStore.class);
            MVMap<Long, byte[]> map = opened.mv().openMap("values");
            long readsBefore = opened.mv().getFileStore().getReadCount();
            List<Future<Integer>> checked = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                checked.add(readers.submit(() -> readRandomly(map, seed, 60)));
            }
            for (Future<Integer> f : checked) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(60);
            }
            assertThat(opened.mv().getFileStore().getReadCount() - readsBefore).as("pages read from the file").isPositive();
        } finally {
            readers.shutdownNow();
            opened.mv().close();
        }
    }

    @Test
    void valuesReadBackAfterTheirChunksWereMoved() throws Exception {
        Path file = dir.resolve("b.mv.db");
        writeValues(file);
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 1);
        try {
            MVStore mv = opened.mv();
            MVMap<Long, byte[]> map = mv.openMap("values");
            // the first half of the values die, leaving the live ones behind dead space
            for (long i = 0; i < VALUES / 2; i++) {
                map.remove(i);
                mv.commit();
            }
            RandomAccessStore store = (RandomAccessStore) mv.getFileStore();
            long grown = store.size();
            mv.setRetentionTime(0);
            mv.setVersionsToKeep(0);
            for (int i = 0; i < 10; i++) {
                mv.commit();
                store.compactMoveChunks(100, Long.MAX_VALUE, mv);
            }
            assertThat(store.size()).as("chunks were moved and the file cut").isLessThan(grown);
        } finally {
            opened.mv().close();
        }
        SealedStoreFile.Opened again = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 1);
        try {
            MVMap<Long, byte[]> map = again.mv().openMap("values");
            assertThat(map.size()).isEqualTo(VALUES - VALUES / 2);
            for (long i = VALUES / 2; i < VALUES; i++) {
                assertThat(map.get(i)).as("value %d", i).isEqualTo(value(i));
            }
        } finally {
            again.mv().close();
        }
    }

    @Test
    void anotherProcessCannotOpenTheFileUntilItIsClosed() throws Exception {
        Path file = dir.resolve("c.mv.db");
        writeValues(file);
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 1);
        try {
            opened.mv().<Long, byte[]>openMap("values").get(3L);  // the read channel is in use
            assertThat(openInAnotherProcess(file)).contains("locked");
        } finally {
            opened.mv().close();
        }
        assertThat(openInAnotherProcess(file)).isEqualTo("opened");
    }

    /** What {@link OpenOnce} printed: "opened", or the reason it could not open the file. */
    private String openInAnotherProcess(Path file) throws Exception {
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), OpenOnce.class.getName(),
                file.toString(), keyFile.toString())
                .redirectErrorStream(true).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        String out = new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
        String[] lines = out.strip().split("\n");
        return lines[lines.length - 1];
    }

    /** Opens the store once and says whether it could. */
    static final class OpenOnce {
        public static void main(String[] args) throws Exception {
            try {
                SealedStoreFile.open(Path.of(args[0]), KeyFile.read(Path.of(args[1])), "test store").mv().close();
                System.out.println("opened");
            } catch (IOException e) {
                System.out.println(e.getMessage());
            }
        }
    }

    private void writeValues(Path file) throws IOException {
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 32);
        try {
            MVMap<Long, byte[]> map = opened.mv().openMap("values");
            for (long i = 0; i < VALUES; i++) {
                map.put(i, value(i));
                opened.mv().commit();  // a chunk each
            }
        } finally {
            opened.mv().close();
        }
    }

    /** Reads {@code count} values chosen at random and returns how many held what was written. */
    private static int readRandomly(MVMap<Long, byte[]> map, int seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        int right = 0;
        for (int n = 0; n < count; n++) {
            long i = random.nextInt(VALUES);
            if (java.util.Arrays.equals(map.get(i), value(i))) {
                right++;
            }
        }
        return right;
    }

    /** Value {@code i}: every third a few bytes (pages of several values), the others 3 MiB. */
    private static byte[] value(long i) {
        byte[] v = new byte[i % 3 == 0 ? 100 + (int) i : LARGE_BYTES + (int) i];
        new SplittableRandom(i).nextBytes(v);
        return v;
    }
}

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
 * The store files' reads into per-thread buffers: every value reads back byte for byte when many
 * threads read pages of two stores at once and after chunks were moved, and a file stays locked
 * against other processes while it is open.
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
    void pagesReadByManyThreadsFromTwoStoresAtOnceHoldExactlyWhatWasWritten() throws Exception {
        SealedStoreFile.Opened a = openUncached(written("a.mv.db", 0));
        SealedStoreFile.Opened b = openUncached(written("a2.mv.db", 1));
        ExecutorService readers = Executors.newFixedThreadPool(4);
        try {
            assertThat(a.mv().getFileStore()).isInstanceOf(DirectReadFileStore.class);
            List<MVMap<Long, byte[]>> maps = List.of(a.mv().openMap("values"), b.mv().openMap("values"));
            long readsBefore = a.mv().getFileStore().getReadCount() + b.mv().getFileStore().getReadCount();
            List<Future<Integer>> checked = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int seed = t;
                // each thread's buffer serves both stores, alternately
                checked.add(readers.submit(() -> readRandomly(maps, seed, 60)));
            }
            for (Future<Integer> f : checked) {
                assertThat(f.get(60, TimeUnit.SECONDS)).isEqualTo(60);
            }
            assertThat(a.mv().getFileStore().getReadCount() + b.mv().getFileStore().getReadCount() - readsBefore)
                    .as("pages read from the files").isPositive();
        } finally {
            readers.shutdownNow();
            a.mv().close();
            b.mv().close();
        }
    }

    @Test
    void valuesReadBackAfterTheirChunksWereMoved() throws Exception {
        Path file = written("b.mv.db", 0);
        SealedStoreFile.Opened opened = openUncached(file);
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
        SealedStoreFile.Opened again = openUncached(file);
        try {
            MVMap<Long, byte[]> map = again.mv().openMap("values");
            assertThat(map.size()).isEqualTo(VALUES - VALUES / 2);
            for (long i = VALUES / 2; i < VALUES; i++) {
                assertThat(map.get(i)).as("value %d", i).isEqualTo(value(0, i));
            }
        } finally {
            again.mv().close();
        }
    }

    @Test
    void anotherProcessCannotOpenTheFileUntilItIsClosed() throws Exception {
        Path file = written("c.mv.db", 0);
        SealedStoreFile.Opened opened = openUncached(file);
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

    /** Opens {@code file} with a 1 MB cache, which holds none of the large pages: their gets read the file. */
    private SealedStoreFile.Opened openUncached(Path file) throws IOException {
        return SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 1);
    }

    /** A new store file {@code name} holding the values of store {@code store}, one chunk each. */
    private Path written(String name, int store) throws IOException {
        Path file = dir.resolve(name);
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store", 32);
        try {
            MVMap<Long, byte[]> map = opened.mv().openMap("values");
            for (long i = 0; i < VALUES; i++) {
                map.put(i, value(store, i));
                opened.mv().commit();
            }
        } finally {
            opened.mv().close();
        }
        return file;
    }

    /** Reads {@code count} values chosen at random and returns how many held what was written. */
    private static int readRandomly(List<MVMap<Long, byte[]>> maps, int seed, int count) {
        SplittableRandom random = new SplittableRandom(seed);
        int right = 0;
        for (int n = 0; n < count; n++) {
            int store = random.nextInt(maps.size());
            long i = random.nextInt(VALUES);
            if (java.util.Arrays.equals(maps.get(store).get(i), value(store, i))) {
                right++;
            }
        }
        return right;
    }

    /** Value {@code i} of a store: every third a few bytes (pages of several values), the others 3 MiB. */
    private static byte[] value(int store, long i) {
        byte[] v = new byte[i % 3 == 0 ? 100 + (int) i : LARGE_BYTES + (int) i];
        new SplittableRandom(store * 1_000_003L + i).nextBytes(v);
        return v;
    }
}

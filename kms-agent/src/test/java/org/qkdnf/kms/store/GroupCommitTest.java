package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import org.qkdnf.common.atrest.KeyFile;

/**
 * Appends from several threads share syncs: fewer fsyncs than calls, while every call still
 * returns only after its own blocks are durable (the crash test pins that part).
 */
class GroupCommitTest {

    private static final int THREADS = 8;
    private static final int CALLS = 40;

    @TempDir
    Path dir;

    @Test
    void concurrentAppendsShareSyncs() throws Exception {
        KeyFile.create(dir.resolve("k"));
        ExecutorService pool = Executors.newFixedThreadPool(THREADS);
        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(dir.resolve("s.mv.db"), dir.resolve("k"))) {
            for (int t = 0; t < THREADS; t++) {
                store.definePool("link-" + t, 1L << 30);
            }
            long before = store.syncCount();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> work = new ArrayList<>();
            for (int t = 0; t < THREADS; t++) {
                String link = "link-" + t;
                TestStreams stream = new TestStreams(link, 128);
                work.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < CALLS; i++) {
                        store.append(link, stream.blocks(i * 4L, 4));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
            long syncs = store.syncCount() - before;
            assertThat(syncs).isPositive().isLessThan(THREADS * CALLS);
            for (int t = 0; t < THREADS; t++) {
                assertThat(store.levels("link-" + t).nextBlockIndex()).isEqualTo(CALLS * 4L);
            }
        } finally {
            pool.shutdownNow();
        }
    }
}

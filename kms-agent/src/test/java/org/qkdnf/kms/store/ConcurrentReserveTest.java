package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;
import org.qkdnf.kms.api.ReservedKey;

/**
 * Several threads reserve from one pool while a producer appends to it: no byte is handed out
 * twice, and the ranges handed out together are exactly the whole stream, each with its bytes.
 */
class ConcurrentReserveTest {

    private static final String LINK = "ef000000-0000-4000-8000-0000000000ef";
    private static final int BLOCK = 256;
    private static final int BLOCKS = 600;
    private static final int RESERVERS = 6;

    @TempDir
    Path dir;

    @Test
    void concurrentReservationsPartitionTheStream() throws Exception {
        TestStreams stream = new TestStreams(LINK, BLOCK);
        KeyFile.create(dir.resolve("k"));
        ConcurrentLinkedQueue<ReservedKey> handedOut = new ConcurrentLinkedQueue<>();
        ExecutorService pool = Executors.newFixedThreadPool(RESERVERS + 1);
        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(dir.resolve("s.mv.db"), dir.resolve("k"))) {
            store.definePool(LINK, 1L << 30);
            AtomicBoolean produced = new AtomicBoolean();
            CountDownLatch start = new CountDownLatch(1);
            List<Future<?>> work = new ArrayList<>();
            work.add(pool.submit(() -> {
                start.await();
                for (int i = 0; i < BLOCKS; i += 10) {
                    store.append(LINK, stream.blocks(i, 10));
                }
                produced.set(true);
                return null;
            }));
            for (int t = 0; t < RESERVERS; t++) {
                Random random = new Random(t);
                work.add(pool.submit(() -> {
                    start.await();
                    while (true) {
                        boolean last = produced.get();  // read before trying: no key can arrive after
                        long bits = 8L * (1 + random.nextInt(700));
                        try {
                            handedOut.add(store.reserve(LINK, bits));
                        } catch (KeyPoolException e) {
                            assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_KEY);
                            long rest = store.levels(LINK).availableBits();
                            if (last && rest == 0) {
                                return null;
                            }
                            if (rest > 0 && rest < bits) {
                                tryReserve(store, rest, handedOut);
                            } else if (!last) {
                                Thread.sleep(1);  // wait for the producer rather than spin on 2 cores
                            }
                        }
                    }
                }));
            }
            start.countDown();
            for (Future<?> f : work) {
                f.get(60, TimeUnit.SECONDS);
            }
            assertThat(store.levels(LINK).consumedBits()).isEqualTo((long) BLOCKS * BLOCK * 8);
        } finally {
            pool.shutdownNow();
        }

        List<ReservedKey> ranges = new ArrayList<>(handedOut);
        ranges.sort(Comparator.comparingLong(k -> stream.start(k.range())));
        long expectedStart = 0;
        for (ReservedKey k : ranges) {
            assertThat(stream.start(k.range())).as("range %s", k.range()).isEqualTo(expectedStart);  // no gap, no overlap
            assertThat(k.key()).as("bytes of %s", k.range()).isEqualTo(stream.bytes(expectedStart, k.key().length));
            expectedStart = stream.end(k.range());
        }
        assertThat(expectedStart).isEqualTo((long) BLOCKS * BLOCK);
        assertThat(ranges.size()).isGreaterThan(RESERVERS);
    }

    /** Takes what is left when another thread may take it first. */
    private static void tryReserve(MvStoreKeyPoolStore store, long bits, ConcurrentLinkedQueue<ReservedKey> out) {
        try {
            out.add(store.reserve(LINK, bits));
        } catch (KeyPoolException e) {
            assertThat(e.reason()).isEqualTo(Reason.INSUFFICIENT_KEY);
        }
    }
}

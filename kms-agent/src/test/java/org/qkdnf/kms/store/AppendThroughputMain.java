package org.qkdnf.kms.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.PoolBlock;

/**
 * A hand-run measurement of durable append throughput (not part of the test run): one appender
 * thread per pool appends batches of blocks, each call returning only once its batch is synced,
 * while one consumer thread per pool reserves key so the pools stay bounded.
 *
 * <p>Arguments: directory for the store, block size in bits, blocks per append call, seconds,
 * pools, and {@code reserve} (a consumer thread per pool keeps it bounded) or {@code append-only}
 * (no consumer; pools sized for the whole run). See the module README for the command and the
 * figure measured.
 */
public final class AppendThroughputMain {

    private AppendThroughputMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int blockBytes = Integer.parseInt(args[1]) / 8;
        int batch = Integer.parseInt(args[2]);
        long millis = Long.parseLong(args[3]) * 1000;
        int poolCount = Integer.parseInt(args[4]);
        boolean reserve = switch (args[5]) {
            case "reserve" -> true;
            case "append-only" -> false;
            default -> throw new IllegalArgumentException("args[5]: reserve or append-only, got " + args[5]);
        };
        Files.createDirectories(dir);
        Path keyFile = dir.resolve("bench.key");
        Path storeFile = dir.resolve("bench.mv.db");
        Files.deleteIfExists(keyFile);
        Files.deleteIfExists(storeFile);
        KeyFile.create(keyFile);
        AtomicLong appendedBits = new AtomicLong();
        AtomicLong appendCalls = new AtomicLong();
        AtomicBoolean stop = new AtomicBoolean();
        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(storeFile, keyFile)) {
            List<Thread> threads = new ArrayList<>();
            for (int p = 0; p < poolCount; p++) {
                String link = "bench-" + p;
                store.definePool(link, reserve ? 256L * 1024 * 1024 * 8 : Long.MAX_VALUE / 2);
                // The blocks' content does not matter here; generate a batch once and renumber it.
                TestStreams stream = new TestStreams(link, blockBytes);
                List<PoolBlock> template = stream.blocks(0, batch);
                long seed = p;
                threads.add(new Thread(() -> {
                    long next = 0;
                    while (!stop.get()) {
                        List<PoolBlock> blocks = new ArrayList<>(batch);
                        for (int i = 0; i < batch; i++) {
                            PoolBlock t = template.get(i);
                            blocks.add(new PoolBlock(new UUID(next + i, seed), next + i, t.key()));  // cheap, unique ids
                        }
                        try {
                            store.append(link, blocks);
                            next += batch;
                            appendedBits.addAndGet((long) batch * blockBytes * 8);
                            appendCalls.incrementAndGet();
                        } catch (KeyPoolException e) {
                            sleepOneMilli();  // pool full: the consumer catches up
                        }
                    }
                }, "append-" + link));
                threads.add(!reserve ? null : new Thread(() -> {
                    while (!stop.get()) {
                        long available = store.levels(link).availableBits();
                        long take = Math.min(available, 64L * 1024 * 1024) / 8 * 8;
                        if (take > 0) {
                            store.reserve(link, take).erase();
                        } else {
                            sleepOneMilli();  // not spinning: the machine has 2 cores
                        }
                    }
                }, "reserve-" + link));
            }
            threads.removeIf(t -> t == null);
            long t0 = System.nanoTime();
            threads.forEach(Thread::start);
            Thread.sleep(millis);
            stop.set(true);
            for (Thread t : threads) {
                t.join();
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("durable append: %.3f Gbit/s (%s, %d pools, %d-bit blocks, %d blocks per call, %d calls in %.1f s, %.0f calls/s); file %d MiB%n",
                    appendedBits.get() / seconds / 1e9, args[5], poolCount, blockBytes * 8, batch, appendCalls.get(), seconds,
                    appendCalls.get() / seconds, Files.size(storeFile) / (1024 * 1024));
        }
    }

    private static void sleepOneMilli() {
        try {
            Thread.sleep(1);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

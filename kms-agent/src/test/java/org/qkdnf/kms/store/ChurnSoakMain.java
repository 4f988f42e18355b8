package org.qkdnf.kms.store;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.PoolBlock;

/**
 * A hand-run soak (not part of the test run): pushes a large volume of key through one pool of a
 * real {@link MvStoreKeyPoolStore} while keeping its live key small, the way a link's pool churns
 * for months, and prints the file's size against the live key every few hundred MB, so one sees
 * whether the file stays bounded and at what multiple of the live set.
 *
 * <p>Arguments: directory, block size in bits, blocks per append call, live key kept in the pool
 * (bits), total volume (MB of key), report interval (MB). One thread appends a batch, then
 * reserves whatever the pool holds beyond the live size, so the live set stays between the live
 * size and the live size plus a batch.
 */
public final class ChurnSoakMain {

    private ChurnSoakMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        int blockBytes = Integer.parseInt(args[1]) / 8;
        int batch = Integer.parseInt(args[2]);
        long liveBits = Long.parseLong(args[3]);
        long totalBytes = Long.parseLong(args[4]) << 20;
        long reportBytes = Long.parseLong(args[5]) << 20;
        Files.createDirectories(dir);
        Path keyFile = dir.resolve("soak.key");
        Path storeFile = dir.resolve("soak.mv.db");
        Files.deleteIfExists(keyFile);
        Files.deleteIfExists(storeFile);
        KeyFile.create(keyFile);
        String link = "soak";
        List<PoolBlock> template = new TestStreams(link, blockBytes).blocks(0, batch);
        long t0 = System.nanoTime();
        long maxFile = 0;
        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(storeFile, keyFile)) {
            store.definePool(link, liveBits + 2L * batch * blockBytes * 8);
            long through = 0;
            long nextReport = reportBytes;
            long next = 0;
            System.out.println("MB_through  file_MiB  live_KiB  chunk_fill_%  seconds");
            while (through < totalBytes) {
                List<PoolBlock> blocks = new ArrayList<>(batch);
                for (int i = 0; i < batch; i++) {
                    blocks.add(new PoolBlock(new UUID(next + i, 7), next + i, template.get(i).key()));
                }
                store.append(link, blocks);
                next += batch;
                through += (long) batch * blockBytes;
                long excess = store.availableBits(link) - liveBits;
                if (excess >= 8) {
                    store.reserve(link, excess / 8 * 8).erase();
                }
                long file = store.fileBytes();
                maxFile = Math.max(maxFile, file);
                if (through >= nextReport) {
                    nextReport += reportBytes;
                    System.out.printf("%10d  %8.1f  %8d  %12d  %7.1f%n", through >> 20, file / 1048576.0,
                            store.availableBits(link) / 8 / 1024, store.chunksFillRate(), (System.nanoTime() - t0) / 1e9);
                }
            }
            double seconds = (System.nanoTime() - t0) / 1e9;
            System.out.printf("done: %d MB through in %.1f s (%.3f Gbit/s durable append+reserve); file max %.1f MiB, at end %.1f MiB%n",
                    through >> 20, seconds, through * 8 / seconds / 1e9, maxFile / 1048576.0, store.fileBytes() / 1048576.0);
        }
        System.out.printf("after close: file %.1f MiB%n", Files.size(storeFile) / 1048576.0);
    }
}

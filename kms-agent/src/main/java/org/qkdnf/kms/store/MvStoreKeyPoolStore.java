package org.qkdnf.kms.store;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

import javax.crypto.AEADBadTagException;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.type.ByteArrayDataType;
import org.h2.mvstore.type.LongDataType;
import org.h2.mvstore.type.StringDataType;
import org.qkdnf.common.atrest.SealedStoreFile;
import org.qkdnf.common.atrest.AtRestCipher;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.AppendResult;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.api.ReservedKey;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@link KeyPoolStore} on one H2 MVStore file, key encrypted at rest with AES-256-GCM under the
 * key in a separate key file (see {@link KeyFile}, {@link SealedStoreFile}, {@link AtRestCipher}).
 *
 * <p>Layout: map {@code store} holds the open epoch (nonce prefix) and a key check; map
 * {@code pools} holds each pool's {@link PoolMeta} under its {@code qkdl_id}; map
 * {@code pool/<qkdl_id>} holds the pool's unconsumed blocks ({@link StoredBlock}) by index.
 *
 * <p>Crash safety: MVStore reopens at its last complete commit (chunks with checksummed headers),
 * and every commit here captures whole operations ({@link GroupCommit}), so a reopened store holds
 * exactly the operations that were committed, each complete. Every call returns only after its
 * commit is synced; see {@link KeyPoolStore} for what that means for reserved key.
 *
 * <p>Only one process may open a store file at a time (MVStore locks the file).
 *
 * <p>Threads: {@link #pools} is a concurrent map; creating and deleting pools is serialised by
 * {@link #registry}; everything else is per pool ({@link KeyPool}).
 */
public final class MvStoreKeyPoolStore implements KeyPoolStore {

    private static final Logger log = LoggerFactory.getLogger(MvStoreKeyPoolStore.class);
    private static final int MAX_ID_LENGTH = 256;

    private final MVStore mv;
    private final MVMap<String, byte[]> metas;
    /**
     * Page cache of the store, MB: room for a few blocks' records of each pool (a block of a few
     * MiB is one page). One reservation or consume touches each of its blocks' pages several
     * times (the read of the record, then the commit's remove or rewrite of it, which MVStore does
     * on the page again), and with MVStore's default cache every touch read the whole page from
     * the file again (in a five-hop relay profile the kernel's file-to-heap copy alone was 11 % of
     * the CPU; a reserve loop of 8 MiB reservations over 4 MiB blocks took ~30 % less CPU with this
     * cache). Pages hold sealed records only. 32 MB (16 more than MVStore's default) because beds
     * and the testbed run many key managers in one JVM; 64 MB measured only slightly better.
     */
    static final int CACHE_MEGABYTES = 32;

    private final AtRestCipher cipher;
    private final GroupCommit commits;
    private final Map<String, KeyPool> pools = new ConcurrentHashMap<>();
    private final Object registry = new Object();
    private volatile boolean closed;

    private MvStoreKeyPoolStore(MVStore mv, AtRestCipher cipher) {
        this.mv = mv;
        this.metas = openNamed(mv, "pools");
        this.cipher = cipher;
        this.commits = new GroupCommit(mv);
    }

    /**
     * Opens the store file, creating it when absent.
     *
     * @param storeFile the MVStore file
     * @param keyFile   the store's key file (32 raw bytes, mode 0600; {@link KeyFile#create})
     * @throws IOException naming the file when the key file is unusable, the key does not match the
     *         store, the file is locked by another process, or its content is inconsistent
     */
    public static MvStoreKeyPoolStore open(Path storeFile, Path keyFile) throws IOException {
        Objects.requireNonNull(storeFile, "storeFile");
        SealedStoreFile.Opened opened = SealedStoreFile.open(storeFile,
                KeyFile.read(Objects.requireNonNull(keyFile, "keyFile")), "key pool store", CACHE_MEGABYTES);
        try {
            MvStoreKeyPoolStore store = new MvStoreKeyPoolStore(opened.mv(), opened.cipher());
            store.loadPools(storeFile);
            log.info("key pool store {} opened: {} pools, epoch {}", storeFile, store.pools.size(), opened.epoch());
            return store;
        } catch (IOException | RuntimeException e) {
            opened.mv().closeImmediately();
            throw e instanceof IOException ? (IOException) e : new IOException("key pool store " + storeFile + ": " + e.getMessage(), e);
        }
    }

    private void loadPools(Path storeFile) throws IOException {
        for (Map.Entry<String, byte[]> e : metas.entrySet()) {
            String id = e.getKey();
            PoolMeta m = PoolMeta.decode(id, e.getValue());
            MVMap<Long, byte[]> blocks = openBlocks(mv, id);
            long expected = m.nextIndex() - m.watermarkIndex();
            Long firstKey = blocks.firstKey();
            Long lastKey = blocks.lastKey();
            boolean consistent = blocks.size() == expected
                    && (expected == 0 || (firstKey == m.watermarkIndex() && lastKey == m.nextIndex() - 1));
            if (consistent && expected > 0) {
                StoredBlock first = StoredBlock.decode(id, m.watermarkIndex(), blocks.get(m.watermarkIndex()));
                consistent = first.tailOffset() == m.watermarkOffset();
            }
            if (!consistent) {
                throw new IOException("key pool store " + storeFile + ": pool " + id + " holds " + blocks.size()
                        + " blocks (" + firstKey + ".." + lastKey + "), its meta says " + m.watermarkIndex() + ".."
                        + (m.nextIndex() - 1) + " from byte " + m.watermarkOffset());
            }
            pools.put(id, new KeyPool(id, m, blocks, metas, cipher, commits));
        }
    }

    @Override
    public PoolLevels definePool(String qkdlId, long maxBits) {
        checkId(qkdlId, "qkdlId");
        if (maxBits <= 0) {
            throw new IllegalArgumentException("maxBits: must be positive, got " + maxBits);
        }
        KeyPool pool;
        synchronized (registry) {
            pool = pools.get(qkdlId);
            if (pool == null) {
                PoolMeta m = PoolMeta.empty(maxBits);
                List<MVMap<Long, byte[]>> opened = new ArrayList<>(1);
                long ticket = commits.apply(() -> {
                    opened.add(openBlocks(mv, qkdlId));  // opening a map writes MVStore's own meta
                    metas.put(qkdlId, m.encode());
                });
                pools.put(qkdlId, new KeyPool(qkdlId, m, opened.get(0), metas, cipher, commits));
                log.info("key pool {} defined, max {} bits", qkdlId, maxBits);
                commits.awaitDurable(ticket);
                return m.levels(qkdlId);
            }
        }
        pool.setMaxBits(maxBits);
        log.info("key pool {}: max set to {} bits", qkdlId, maxBits);
        return pool.levels();
    }

    @Override
    public boolean deletePool(String qkdlId) {
        checkId(qkdlId, "qkdlId");
        long ticket;
        synchronized (registry) {
            KeyPool pool = pools.remove(qkdlId);
            if (pool == null) {
                return false;
            }
            ticket = pool.delete(() -> mv.removeMap(blocksMapName(qkdlId)));
        }
        commits.awaitDurable(ticket);
        log.info("key pool {} deleted, its key erased", qkdlId);
        return true;
    }

    @Override
    public List<String> pools() {
        return List.copyOf(pools.keySet());
    }

    @Override
    public AppendResult append(String qkdlId, List<PoolBlock> blocks) {
        Objects.requireNonNull(blocks, "blocks");
        for (int i = 0; i < blocks.size(); i++) {
            Objects.requireNonNull(blocks.get(i), () -> "blocks: element is null");
        }
        return pool(qkdlId).append(blocks);
    }

    @Override
    public ReservedKey reserve(String qkdlId, long bits) {
        return pool(qkdlId).reserve(bits);
    }

    @Override
    public ReservedKey reserveAfterDiscarding(String qkdlId, long discardBits, long bits) {
        return pool(qkdlId).reserveAfterDiscarding(discardBits, bits);
    }

    @Override
    public ReservedKey consume(KeyRange range) {
        Objects.requireNonNull(range, "range");
        return pool(range.qkdlId()).consume(range);
    }

    @Override
    public CompletableFuture<ReservedKey> consumeAsync(KeyRange range) {
        Objects.requireNonNull(range, "range");
        return pool(range.qkdlId()).consumeAsync(range);
    }

    @Override
    public PoolLevels levels(String qkdlId) {
        return pool(qkdlId).levels();
    }

    @Override
    public long availableBits(String qkdlId) {
        KeyPool p = poolOrNull(qkdlId);
        return p == null ? 0 : p.levels().availableBits();
    }

    @Override
    public List<PoolLevels> levels() {
        List<PoolLevels> all = new ArrayList<>(pools.size());
        for (KeyPool p : pools.values()) {
            all.add(p.levels());
        }
        return all;
    }

    /** Syncs done since open: fewer than mutating calls when concurrent calls share them. */
    long syncCount() {
        return commits.syncs();
    }

    /** The store file's size now, bytes (for tests and the churn soak). */
    long fileBytes() {
        return mv.getFileStore().size();
    }

    /** Percentage of the file's chunks' bytes that are live (for tests and the churn soak). */
    int chunksFillRate() {
        return mv.getFileStore().getChunksFillRate();
    }

    @Override
    public void close() {
        closed = true;
        commits.closeStore();
    }

    private KeyPool pool(String qkdlId) {
        KeyPool p = poolOrNull(qkdlId);
        if (p == null) {
            throw new KeyPoolException(Reason.UNKNOWN_POOL, "no key pool for qkdlId " + qkdlId);
        }
        return p;
    }

    /** The pool, or null when this store has none of that id; the id checked, CLOSED once closed. */
    private KeyPool poolOrNull(String qkdlId) {
        checkId(qkdlId, "qkdlId");
        if (closed) {
            throw new KeyPoolException(Reason.CLOSED, "key pool store is closed");
        }
        return pools.get(qkdlId);
    }

    private static String blocksMapName(String qkdlId) {
        return "pool/" + qkdlId;
    }

    /**
     * A pool's blocks map. Typed (long keys, raw byte values) rather than MVStore's default
     * object type: no type tags, no reflection, cheaper compares on the append path.
     */
    static MVMap<Long, byte[]> openBlocks(MVStore mv, String qkdlId) {
        return mv.openMap(blocksMapName(qkdlId), new MVMap.Builder<Long, byte[]>()
                .keyType(LongDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
    }

    private static MVMap<String, byte[]> openNamed(MVStore mv, String name) {
        return mv.openMap(name, new MVMap.Builder<String, byte[]>()
                .keyType(StringDataType.INSTANCE).valueType(ByteArrayDataType.INSTANCE));
    }

    private static void checkId(String id, String name) {
        Objects.requireNonNull(id, name);
        if (id.isBlank() || id.length() > MAX_ID_LENGTH || id.chars().anyMatch(Character::isISOControl)) {
            throw new IllegalArgumentException(name + ": must be 1.." + MAX_ID_LENGTH
                    + " characters without control characters, got '" + id.replaceAll("\\p{Cntrl}", "?") + "'");
        }
    }
}

package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.api.KeyPoolStore;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.store.MvStoreKeyPoolStore;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.IssuedCredential;

/**
 * A chain of key managers on loopback for tests: node i and node i+1 share link "L{i}{i+1}"; each
 * node has its own store in a temp directory holding both lanes of each of its links, filled with
 * the same random blocks at both ends, its own kms certificate (CN = node id) and its own Kk server.
 */
final class RelayTestNet implements AutoCloseable {

    static final String PROVIDER = "prov-test";
    static final DevCertificateAuthority CA = DevCertificateAuthority.create(PROVIDER);

    final List<String> ids = new ArrayList<>();
    final List<KeyPoolStore> stores = new ArrayList<>();
    final List<RelayNode> nodes = new ArrayList<>();
    /** Keys that reached their last node: "node/service/sequence" -> key. */
    final Map<String, byte[]> delivered = new ConcurrentHashMap<>();
    final List<RelayAlarm> alarms = new CopyOnWriteArrayList<>();
    /** TLS files of each node, by node id. */
    final Map<String, TlsFiles> tls = new ConcurrentHashMap<>();

    /**
     * @param blocks     blocks per lane
     * @param blockBytes size of each block
     * @param configure  extra builder settings per node index (may be null)
     */
    RelayTestNet(Path dir, int count, int blocks, int blockBytes, BuilderHook configure) throws IOException {
        this(dir, count, blocks, blockBytes, configure, i -> null);
    }

    /** As above; {@code certificateIds} gives a node a certificate naming another node (null: its own id). */
    RelayTestNet(Path dir, int count, int blocks, int blockBytes, BuilderHook configure,
                 java.util.function.IntFunction<String> certificateIds) throws IOException {
        this(dir, count, blocks, blocks, blockBytes, configure, certificateIds);
    }

    /**
     * As above, with {@code reverseBlocks} blocks in the lanes owned by the right-hand end of each
     * link (which only carry traffic from the last node towards the first).
     */
    RelayTestNet(Path dir, int count, int blocks, int reverseBlocks, int blockBytes, BuilderHook configure,
                 java.util.function.IntFunction<String> certificateIds) throws IOException {
        // Test key, not secret: a fast generator, so a benchmark's gigabytes of lane key do not
        // take minutes of SecureRandom.
        java.util.SplittableRandom random = new java.util.SplittableRandom(new SecureRandom().nextLong());
        for (int i = 0; i < count; i++) {
            String id = "kme-" + (char) ('a' + i);
            ids.add(id);
            Path nodeDir = dir.resolve(id);
            Path keyFile = nodeDir.resolve("store.key");
            java.nio.file.Files.createDirectories(nodeDir);
            KeyFile.create(keyFile);
            stores.add(MvStoreKeyPoolStore.open(nodeDir.resolve("pools.mv.db"), keyFile));
        }
        for (int i = 0; i + 1 < count; i++) {
            String link = link(i);
            for (String owner : List.of(ids.get(i), ids.get(i + 1))) {
                String lane = LaneIds.of(link, owner);
                int n = owner.equals(ids.get(i)) ? blocks : reverseBlocks;
                List<KeyPoolStore> ends = List.of(stores.get(i), stores.get(i + 1));
                for (KeyPoolStore s : ends) {
                    // twice its key, so the lane is not trimmed (RelayNode.Builder#laneTrim) under a test
                    s.definePool(lane, 2L * n * blockBytes * 8);
                }
                // in batches of about 64 MiB, made as they are appended: a benchmark's whole lane
                // (gigabytes) neither sits in the heap nor goes into one commit buffer
                int batch = Math.max(1, (64 << 20) / blockBytes);
                for (int from = 0; from < n; from += batch) {
                    List<PoolBlock> blocksNow = new ArrayList<>();
                    for (int b = from; b < Math.min(n, from + batch); b++) {
                        byte[] key = new byte[blockBytes];
                        random.nextBytes(key);
                        blocksNow.add(new PoolBlock(UUID.randomUUID(), b, key));
                    }
                    for (KeyPoolStore s : ends) {
                        s.append(lane, blocksNow);
                    }
                }
            }
        }
        for (int i = 0; i < count; i++) {
            String id = ids.get(i);
            String cn = certificateIds.apply(i);
            nodes.add(start(dir, i, id, cn == null ? id : cn, configure));
        }
        for (int i = 0; i + 1 < count; i++) {
            connect(i, i + 1);
        }
    }

    /** Starts node {@code index}'s relay with a kms certificate whose CN is {@code certificateId}. */
    RelayNode start(Path dir, int index, String id, String certificateId, BuilderHook configure) throws IOException {
        IssuedCredential cred = CA.issue(certificateId, DevCertificateAuthority.Role.KMS, PROVIDER);
        IssuedCredential.PemFiles pem = cred.writeTo(dir.resolve(id + "-tls-" + certificateId), "kms");
        TlsFiles files = new TlsFiles(pem.certificateChain(), pem.privateKey(), pem.trustedCa());
        tls.put(id, files);
        RelayNode.Builder b = RelayNode.builder()
                .nodeId(id)
                .store(stores.get(index))
                .tls(files)
                .sink((service, seq, key) -> delivered.put(id + "/" + service + "/" + seq, key))
                .alarmListener(alarms::add);
        if (configure != null) {
            configure.accept(index, b);
        }
        return b.build().start();
    }

    void connect(int i, int j) {
        String link = link(Math.min(i, j));
        nodes.get(i).addNeighbor(new RelayNeighbor(ids.get(j), link, "127.0.0.1", nodes.get(j).port()));
        nodes.get(j).addNeighbor(new RelayNeighbor(ids.get(i), link, "127.0.0.1", nodes.get(i).port()));
    }

    /** The cause {@code f} failed with (within 20 s); an assertion error when it succeeds or hangs. */
    static Throwable failureOf(CompletableFuture<?> f) throws InterruptedException {
        try {
            f.get(20, TimeUnit.SECONDS);
            throw new AssertionError("expected the relay to fail");
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (TimeoutException e) {
            throw new AssertionError("no result in time", e);
        }
    }

    static String link(int i) {
        return "L" + i + (i + 1);
    }

    /** The whole chain as a route, first to last. */
    List<String> route() {
        return List.copyOf(ids);
    }

    /**
     * Both copies of every lane of every link took exactly the same bits: consumed plus discarded
     * are equal at both ends, except for a reservation the owner holds ahead, not sent yet.
     */
    void assertLanesInStep() {
        for (int i = 0; i + 1 < ids.size(); i++) {
            String link = link(i);
            for (int owner : new int[] {i, i + 1}) {
                int other = owner == i ? i + 1 : i;
                String lane = LaneIds.of(link, ids.get(owner));
                PoolLevels mine = stores.get(owner).levels(lane);
                PoolLevels theirs = stores.get(other).levels(lane);
                LinkRelayCounters c = nodes.get(owner).counters().get(link);
                long ahead = c == null ? 0 : c.reservedAheadBits();
                assertThat(mine.consumedBits() + mine.discardedBits() - ahead).as(lane)
                        .isEqualTo(theirs.consumedBits() + theirs.discardedBits());
            }
        }
    }

    @Override
    public void close() {
        for (RelayNode n : nodes) {
            n.close();
        }
        for (KeyPoolStore s : stores) {
            s.close();
        }
    }

    @FunctionalInterface
    interface BuilderHook {
        void accept(int index, RelayNode.Builder builder);
    }
}

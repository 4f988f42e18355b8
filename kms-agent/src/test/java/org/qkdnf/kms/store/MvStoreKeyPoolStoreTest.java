package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;

import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.AtRestCipher;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.AppendResult;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.PoolBlock;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.api.ReservedKey;

class MvStoreKeyPoolStoreTest {

    private static final String LINK = "ab000000-0000-4000-8000-0000000000ab";
    private static final int BLOCK = 128;  // bytes
    private static final long BLOCK_BITS = BLOCK * 8L;

    @TempDir
    Path dir;
    private Path keyFile;
    private MvStoreKeyPoolStore store;
    private final TestStreams stream = new TestStreams(LINK, BLOCK);

    @BeforeEach
    void open() throws IOException {
        keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
    }

    @AfterEach
    void close() {
        store.close();
    }

    private MvStoreKeyPoolStore reopen() throws IOException {
        store.close();
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
        return store;
    }

    @Test
    void reserveHandsOutTheStreamInOrder() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 10));

        ReservedKey first = store.reserve(LINK, 100 * 8);
        ReservedKey second = store.reserve(LINK, 200 * 8);

        assertThat(first.range()).isEqualTo(new KeyRange(LINK, 0, stream.block(0).blockId(), 0, 800));
        assertThat(first.key()).isEqualTo(stream.bytes(0, 100));
        assertThat(second.range()).isEqualTo(new KeyRange(LINK, 0, stream.block(0).blockId(), 800, 1600));
        assertThat(second.key()).isEqualTo(stream.bytes(100, 200));
        ReservedKey third = store.reserve(LINK, 8);
        assertThat(third.range().firstBlockIndex()).isEqualTo(2);
        assertThat(third.range().offsetBits()).isEqualTo((300 - 2 * BLOCK) * 8L);
        assertThat(third.key()).isEqualTo(stream.bytes(300, 1));
    }

    @Test
    void appendingABlockTwiceStoresItOnce() {
        store.definePool(LINK, 1 << 20);
        assertThat(store.append(LINK, stream.blocks(0, 5))).isEqualTo(new AppendResult(5, 0, 5));

        assertThat(store.append(LINK, stream.blocks(0, 5))).isEqualTo(new AppendResult(0, 5, 5));
        assertThat(store.append(LINK, stream.blocks(3, 5))).isEqualTo(new AppendResult(3, 2, 8));

        assertThat(store.levels(LINK).producedBits()).isEqualTo(8 * BLOCK_BITS);
        assertThat(store.reserve(LINK, 8 * BLOCK_BITS).key()).isEqualTo(stream.bytes(0, 8 * BLOCK));
        assertThatThrownBy(() -> store.reserve(LINK, 8)).extracting(e -> ((KeyPoolException) e).reason())
                .isEqualTo(Reason.INSUFFICIENT_KEY);
    }

    @Test
    void duplicatesOfConsumedBlocksDoNotComeBack() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));
        store.reserve(LINK, 3 * BLOCK_BITS);

        assertThat(store.append(LINK, stream.blocks(0, 4))).isEqualTo(new AppendResult(1, 3, 4));
        assertThat(store.levels(LINK).availableBits()).isEqualTo(BLOCK_BITS);
        assertThat(store.reserve(LINK, BLOCK_BITS).key()).isEqualTo(stream.block(3).key());
    }

    @Test
    void aGapIsRefusedAndNothingIsStored() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));

        KeyPoolException gap = catchThrowableOfType(KeyPoolException.class, () -> store.append(LINK, stream.blocks(4, 2)));
        assertThat(gap.reason()).isEqualTo(Reason.OUT_OF_ORDER);
        assertThat(gap.getMessage()).contains("blocks[0].index is 4").contains("expected at most 3");

        List<PoolBlock> reordered = List.of(stream.block(3), stream.block(5), stream.block(4));
        KeyPoolException order = catchThrowableOfType(KeyPoolException.class, () -> store.append(LINK, reordered));
        assertThat(order.reason()).isEqualTo(Reason.OUT_OF_ORDER);
        assertThat(order.getMessage()).contains("blocks[1].index is 5, expected 4");

        assertThat(store.levels(LINK).nextBlockIndex()).isEqualTo(3);
        assertThat(store.levels(LINK).producedBits()).isEqualTo(3 * BLOCK_BITS);
    }

    @Test
    void aDuplicateIndexWithAnotherIdIsAConflict() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));
        PoolBlock impostor = new PoolBlock(UUID.randomUUID(), 1, stream.block(1).key());

        KeyPoolException e = catchThrowableOfType(KeyPoolException.class, () -> store.append(LINK, List.of(impostor)));

        assertThat(e.reason()).isEqualTo(Reason.BLOCK_CONFLICT);
        assertThat(e.getMessage()).contains("block 1");
    }

    @Test
    void aFullPoolRefusesNewBlocksUntilKeyIsConsumed() {
        store.definePool(LINK, 4 * BLOCK_BITS);
        store.append(LINK, stream.blocks(0, 3));

        KeyPoolException full = catchThrowableOfType(KeyPoolException.class, () -> store.append(LINK, stream.blocks(3, 2)));
        assertThat(full.reason()).isEqualTo(Reason.POOL_FULL);
        assertThat(full.getMessage()).contains("nothing stored");
        assertThat(store.levels(LINK).nextBlockIndex()).isEqualTo(3);  // all or nothing

        store.append(LINK, stream.blocks(3, 1));
        store.reserve(LINK, BLOCK_BITS);
        assertThat(store.append(LINK, stream.blocks(4, 1)).storedBlocks()).isEqualTo(1);
        assertThatThrownBy(() -> store.append(LINK, stream.blocks(5, 1)))
                .extracting(t -> ((KeyPoolException) t).reason()).isEqualTo(Reason.POOL_FULL);
    }

    @Test
    void levelsCountWhatWasProducedConsumedAndDiscarded() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 4));
        KeyRange skipped = store.reserve(LINK, 16).range();
        KeyRange used = new KeyRange(LINK, 0, stream.block(0).blockId(), 16 + 24, 64);

        MvStoreKeyPoolStore peer = openPeer();
        try {
            peer.definePool(LINK, 1 << 20);
            peer.append(LINK, stream.blocks(0, 4));
            peer.consume(used);
            assertThat(peer.levels(LINK)).isEqualTo(new PoolLevels(LINK, 1 << 20,
                    4 * BLOCK_BITS - 40 - 64, 4 * BLOCK_BITS, 64, 40, 4));
        } finally {
            peer.close();
        }
        assertThat(store.levels(LINK)).isEqualTo(new PoolLevels(LINK, 1 << 20, 4 * BLOCK_BITS - 16, 4 * BLOCK_BITS, 16, 0, 4));
        assertThat(skipped.lengthBits()).isEqualTo(16);
        assertThat(store.levels()).containsExactly(store.levels(LINK));
    }

    @Test
    void thePeerConsumesTheSameKeyFromTheNamedRange() throws IOException {
        MvStoreKeyPoolStore peer = openPeer();
        try {
            for (MvStoreKeyPoolStore s : List.of(store, peer)) {
                s.definePool(LINK, 1 << 20);
                s.append(LINK, stream.blocks(0, 6));
            }
            for (int bytes : new int[] {40, BLOCK, 3 * BLOCK + 7, 1}) {
                ReservedKey mine = store.reserve(LINK, bytes * 8L);
                ReservedKey theirs = peer.consume(mine.range());
                assertThat(theirs.key()).isEqualTo(mine.key());
                assertThat(theirs.range()).isEqualTo(mine.range());
            }
            assertThat(peer.levels(LINK)).isEqualTo(store.levels(LINK));
        } finally {
            peer.close();
        }
    }

    @Test
    void consumeAsyncTakesTheRangeAtOnceAndHandsOutTheKeyWhenDurable() throws Exception {
        MvStoreKeyPoolStore peer = openPeer();
        try {
            for (MvStoreKeyPoolStore s : List.of(store, peer)) {
                s.definePool(LINK, 1 << 20);
                s.append(LINK, stream.blocks(0, 4));
            }
            ReservedKey first = store.reserve(LINK, 100 * 8L);
            ReservedKey second = store.reserve(LINK, 2 * BLOCK * 8L);

            var a = peer.consumeAsync(first.range());
            var b = peer.consumeAsync(second.range());  // taken before the first one's sync is awaited
            assertThat(peer.levels(LINK).consumedBits()).isEqualTo((100 + 2 * BLOCK) * 8L);
            assertThat(b.get(10, java.util.concurrent.TimeUnit.SECONDS).key()).isEqualTo(second.key());
            assertThat(a.get(10, java.util.concurrent.TimeUnit.SECONDS).key()).isEqualTo(first.key());
            assertThat(catchThrowableOfType(KeyPoolException.class, () -> peer.consumeAsync(first.range())).reason())
                    .isEqualTo(Reason.REPLAY);
        } finally {
            peer.close();
        }
    }

    @Test
    void aRangeBehindTheWatermarkIsAReplay() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));
        KeyRange r = store.reserve(LINK, 80).range();

        KeyPoolException e = catchThrowableOfType(KeyPoolException.class, () -> store.consume(r));
        assertThat(e.reason()).isEqualTo(Reason.REPLAY);
        // Overlapping only at its start is a replay too.
        KeyRange overlapping = new KeyRange(LINK, 0, r.firstBlockId(), 72, 80);
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.consume(overlapping)).reason())
                .isEqualTo(Reason.REPLAY);
        assertThat(store.levels(LINK).consumedBits()).isEqualTo(80);
    }

    @Test
    void aRangeAheadOfTheWatermarkDiscardsTheKeyInBetween() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 4));
        KeyRange lost = store.reserve(LINK, 2 * BLOCK_BITS + 64).range();  // as if never sent
        ReservedKey sent = store.reserve(LINK, 128);

        MvStoreKeyPoolStore peer = openPeer();
        try {
            peer.definePool(LINK, 1 << 20);
            peer.append(LINK, stream.blocks(0, 4));
            assertThat(peer.consume(sent.range()).key()).isEqualTo(sent.key());
            assertThat(peer.levels(LINK).discardedBits()).isEqualTo(lost.lengthBits());
            assertThat(catchThrowableOfType(KeyPoolException.class, () -> peer.consume(lost)).reason())
                    .isEqualTo(Reason.REPLAY);
        } finally {
            peer.close();
        }
    }

    @Test
    void anOwnerDiscardsAtTheWatermarkAndThePeerDiscardsTheSameBits() throws IOException {
        MvStoreKeyPoolStore peer = openPeer();
        try {
            for (MvStoreKeyPoolStore s : List.of(store, peer)) {
                s.definePool(LINK, 1 << 20);
                s.append(LINK, stream.blocks(0, 8));
            }
            ReservedKey used = store.reserve(LINK, 40 * 8);
            peer.consume(used.range());
            // from inside block 0 across blocks 1 and 2 to byte 20 of block 3
            long discard = (3 * BLOCK + 20 - 40) * 8L;
            ReservedKey after = store.reserveAfterDiscarding(LINK, discard, 256);

            assertThat(after.range()).isEqualTo(new KeyRange(LINK, 3, stream.block(3).blockId(), 20 * 8L, 256));
            assertThat(after.key()).isEqualTo(stream.bytes(3 * BLOCK + 20, 32));
            assertThat(store.levels(LINK).discardedBits()).isEqualTo(discard);
            assertThat(peer.consume(after.range()).key()).isEqualTo(after.key());
            assertThat(peer.levels(LINK)).isEqualTo(store.levels(LINK));

            reopen();
            assertThat(store.levels(LINK).discardedBits()).isEqualTo(discard);
            assertThat(store.reserve(LINK, 8).key()).isEqualTo(stream.bytes(3 * BLOCK + 52, 1));
        } finally {
            peer.close();
        }
    }

    @Test
    void discardingMoreThanThePoolHoldsTakesNothing() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 2));
        PoolLevels before = store.levels(LINK);

        assertThat(catchThrowableOfType(KeyPoolException.class,
                () -> store.reserveAfterDiscarding(LINK, 2 * BLOCK_BITS - 8, 16)).reason())
                .isEqualTo(Reason.INSUFFICIENT_KEY);
        assertThat(store.levels(LINK)).isEqualTo(before);
        assertThatThrownBy(() -> store.reserveAfterDiscarding(LINK, 12, 8))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("discardBits");
        assertThat(store.reserveAfterDiscarding(LINK, 0, 8).key()).isEqualTo(stream.bytes(0, 1));
    }

    @Test
    void aRangeNamingAnotherBlockIsAMismatch() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));

        KeyRange otherId = new KeyRange(LINK, 1, UUID.randomUUID(), 0, 64);
        KeyRange pastEnd = new KeyRange(LINK, 1, stream.block(1).blockId(), BLOCK_BITS, 64);

        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.consume(otherId)).getMessage())
                .contains("range.firstBlockId");
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.consume(pastEnd)).getMessage())
                .contains("range.offsetBits");
        assertThat(store.levels(LINK).consumedBits()).isZero();
    }

    @Test
    void aRangeBeyondTheReceivedKeyTakesNothing() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 2));

        KeyRange tooLong = new KeyRange(LINK, 1, stream.block(1).blockId(), 0, 2 * BLOCK_BITS);
        KeyRange notYet = new KeyRange(LINK, 5, stream.block(5).blockId(), 0, 8);

        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.consume(tooLong)).reason())
                .isEqualTo(Reason.INSUFFICIENT_KEY);
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.consume(notYet)).reason())
                .isEqualTo(Reason.INSUFFICIENT_KEY);
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.reserve(LINK, 2 * BLOCK_BITS + 8)).reason())
                .isEqualTo(Reason.INSUFFICIENT_KEY);
        assertThat(store.levels(LINK).availableBits()).isEqualTo(2 * BLOCK_BITS);
        assertThat(store.levels(LINK).discardedBits()).isZero();
    }

    @Test
    void badArgumentsNameTheField() {
        store.definePool(LINK, 1 << 20);
        assertThatThrownBy(() -> store.reserve(LINK, 12)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bits");
        assertThatThrownBy(() -> store.reserve(LINK, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("bits");
        assertThatThrownBy(() -> store.definePool(" ", 8)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("qkdlId");
        assertThatThrownBy(() -> store.definePool(LINK, 0)).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxBits");
        assertThatThrownBy(() -> store.append(LINK, List.of())).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("blocks");
        assertThatThrownBy(() -> new KeyRange(LINK, 0, UUID.randomUUID(), 3, 8)).hasMessageContaining("offsetBits");
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.reserve("no-such-link", 8)).reason())
                .isEqualTo(Reason.UNKNOWN_POOL);
    }

    @Test
    void availableBitsIsTheLevelsFigureAndZeroForAPoolNotDefinedYet() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 2));
        store.reserve(LINK, 64);
        assertThat(store.availableBits(LINK)).isEqualTo(store.levels(LINK).availableBits()).isPositive();
        assertThat(store.availableBits("no-such-link")).isZero();
        assertThatThrownBy(() -> store.availableBits(" ")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("qkdlId");
        store.close();
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.availableBits(LINK)).reason())
                .isEqualTo(Reason.CLOSED);
    }

    @Test
    void poolsWatermarksAndPartialBlocksSurviveAReopen() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.definePool("cd000000-0000-4000-8000-0000000000cd", 4096);
        store.append(LINK, stream.blocks(0, 3));
        store.reserve(LINK, (BLOCK + 10) * 8L);  // the watermark stops inside block 1
        PoolLevels before = store.levels(LINK);

        reopen();

        assertThat(store.pools()).containsExactlyInAnyOrder(LINK, "cd000000-0000-4000-8000-0000000000cd");
        assertThat(store.levels(LINK)).isEqualTo(before);
        ReservedKey next = store.reserve(LINK, 20 * 8L);
        assertThat(next.range().firstBlockIndex()).isEqualTo(1);
        assertThat(next.range().offsetBits()).isEqualTo(80);
        assertThat(next.key()).isEqualTo(stream.bytes(BLOCK + 10, 20));
        assertThat(store.append(LINK, stream.blocks(2, 2))).isEqualTo(new AppendResult(1, 1, 4));
    }

    @Test
    void redefiningAPoolChangesOnlyItsMaximum() {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));

        PoolLevels lowered = store.definePool(LINK, BLOCK_BITS);

        assertThat(lowered.maxBits()).isEqualTo(BLOCK_BITS);
        assertThat(lowered.availableBits()).isEqualTo(3 * BLOCK_BITS);  // kept; new blocks wait
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.append(LINK, stream.blocks(3, 1))).reason())
                .isEqualTo(Reason.POOL_FULL);
    }

    @Test
    void deletingAPoolErasesItsKey() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));

        assertThat(store.deletePool(LINK)).isTrue();
        assertThat(store.deletePool(LINK)).isFalse();
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.reserve(LINK, 8)).reason())
                .isEqualTo(Reason.UNKNOWN_POOL);

        reopen();
        assertThat(store.pools()).isEmpty();
        store.definePool(LINK, 1 << 20);
        assertThat(store.levels(LINK).nextBlockIndex()).isZero();
    }

    @Test
    void consumedBlocksAreRemovedAndThePartialOneKeepsOnlyItsTail() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 4));
        store.reserve(LINK, (2 * BLOCK + 16) * 8L);
        store.close();

        MVStore raw = new MVStore.Builder().fileName(dir.resolve("a.mv.db").toString()).readOnly().open();
        try {
            var blocks = MvStoreKeyPoolStore.openBlocks(raw, LINK);
            assertThat(blocks.keySet()).containsExactly(2L, 3L);
            StoredBlock partial = StoredBlock.decode(LINK, 2, blocks.get(2L));
            assertThat(partial.tailOffset()).isEqualTo(16);
            assertThat(partial.sealedLength()).isEqualTo(BLOCK - 16 + AtRestCipher.OVERHEAD);
        } finally {
            raw.close();
        }
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
    }

    @Test
    void anAlteredOrMovedBlockFailsAuthentication() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 3));
        store.close();
        MVStore raw = new MVStore.Builder().fileName(dir.resolve("a.mv.db").toString()).open();
        try {
            var blocks = MvStoreKeyPoolStore.openBlocks(raw, LINK);
            byte[] altered = blocks.get(0L).clone();
            altered[altered.length - 20] ^= 1;
            blocks.put(0L, altered);
            blocks.put(2L, blocks.get(1L));  // block 1's record under index 2
            raw.commit();
        } finally {
            raw.close();
        }
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);

        KeyPoolException altered = catchThrowableOfType(KeyPoolException.class, () -> store.reserve(LINK, 8));
        assertThat(altered.reason()).isEqualTo(Reason.CORRUPT);
        assertThat(altered.getMessage()).contains("block 0");
        KeyRange atTwo = new KeyRange(LINK, 2, stream.block(1).blockId(), 0, 8);
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.consume(atTwo)).reason())
                .isEqualTo(Reason.CORRUPT);
        assertThat(store.levels(LINK).consumedBits()).isZero();
    }

    @Test
    void keyIsEncryptedAtRest() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 20));
        store.close();

        byte[] file = Files.readAllBytes(dir.resolve("a.mv.db"));
        for (int i = 0; i < 20; i++) {
            byte[] probe = Arrays.copyOfRange(stream.block(i).key(), 40, 56);
            assertThat(indexOf(file, probe)).as("block %d in clear", i).isEqualTo(-1);
        }
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
        assertThat(store.reserve(LINK, 20 * BLOCK_BITS).key()).isEqualTo(stream.bytes(0, 20 * BLOCK));
    }

    @Test
    void anotherKeyFileIsRefusedAndChangesNothing() throws IOException {
        store.definePool(LINK, 1 << 20);
        store.append(LINK, stream.blocks(0, 2));
        store.close();
        Path other = dir.resolve("other.key");
        KeyFile.create(other);

        assertThatThrownBy(() -> MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), other))
                .isInstanceOf(IOException.class).hasMessageContaining("not this store's key");

        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
        assertThat(store.reserve(LINK, 2 * BLOCK_BITS).key()).isEqualTo(stream.bytes(0, 2 * BLOCK));
    }

    @Test
    void aKeyFileOthersCanReadIsRefused() throws IOException {
        Path loose = dir.resolve("loose.key");
        Files.write(loose, new byte[KeyFile.KEY_BYTES]);
        Files.setPosixFilePermissions(loose, PosixFilePermissions.fromString("rw-r--r--"));
        Path shortKey = dir.resolve("short.key");
        Files.write(shortKey, new byte[16]);
        Files.setPosixFilePermissions(shortKey, PosixFilePermissions.fromString("rw-------"));

        assertThatThrownBy(() -> KeyFile.read(loose)).hasMessageContaining(loose.toString()).hasMessageContaining("chmod 600");
        assertThatThrownBy(() -> KeyFile.read(shortKey)).hasMessageContaining("exactly 32");
        assertThatThrownBy(() -> KeyFile.create(keyFile)).isInstanceOf(java.nio.file.FileAlreadyExistsException.class);
        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(keyFile))).isEqualTo("rw-------");
    }

    @Test
    void noKeyInToString() {
        store.definePool(LINK, 1 << 20);
        PoolBlock b = stream.block(0);
        store.append(LINK, List.of(b));
        ReservedKey k = store.reserve(LINK, 64);
        String hex = HexFormat.of().formatHex(k.key());

        assertThat(k.toString()).doesNotContain(hex).doesNotContain(Arrays.toString(k.key())).contains(LINK);
        assertThat(b.toString()).doesNotContain(HexFormat.of().formatHex(b.key())).doesNotContain(Arrays.toString(b.key()));
        k.erase();
        assertThat(k.key()).containsOnly(0);
    }

    @Test
    void aClosedStoreRefusesWork() {
        store.definePool(LINK, 1 << 20);
        store.close();
        assertThat(catchThrowableOfType(KeyPoolException.class, () -> store.reserve(LINK, 8)).reason())
                .isEqualTo(Reason.CLOSED);
    }

    private MvStoreKeyPoolStore openPeer() throws IOException {
        Path peerKey = dir.resolve("peer.key");
        if (!Files.exists(peerKey)) {
            KeyFile.create(peerKey);
        }
        return MvStoreKeyPoolStore.open(dir.resolve("peer.mv.db"), peerKey);
    }

    private static int indexOf(byte[] hay, byte[] needle) {
        outer:
        for (int i = 0; i + needle.length <= hay.length; i++) {
            for (int j = 0; j < needle.length; j++) {
                if (hay[i + j] != needle[j]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
    }
}

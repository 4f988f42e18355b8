package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;

import java.io.IOException;
import java.nio.file.Path;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.AtRestCipher;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;
import org.qkdnf.kms.api.ReservedKey;

/** Blocks larger than one sealed chunk: ranges across chunk edges, partial records, moved chunks. */
class ChunkedBlockTest {

    private static final String LINK = "cb000000-0000-4000-8000-0000000000cb";
    private static final int C = StoredBlock.CHUNK_BYTES;
    /** Two full chunks and a short third one. */
    private static final int BLOCK = 2 * C + 1000;

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
        store.definePool(LINK, 1L << 30);
        store.append(LINK, stream.blocks(0, 3));
    }

    @AfterEach
    void close() {
        store.close();
    }

    @Test
    void rangesAcrossChunkAndBlockEdgesComeOutInOrderAndSurviveAReopen() throws IOException {
        int[] sizes = {10, C - 20, 20, C + 5, BLOCK, 7};
        long at = 0;
        for (int i = 0; i < sizes.length; i++) {
            if (i == 3) {
                store.close();
                store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
            }
            ReservedKey k = store.reserve(LINK, sizes[i] * 8L);
            assertThat(k.key()).as("range %d", i).isEqualTo(stream.bytes(at, sizes[i]));
            at += sizes[i];
        }
    }

    @Test
    void aPartlyTakenBlockKeepsOnlyTheChunksAfterTheWatermark() throws IOException {
        store.reserve(LINK, (C + 100) * 8L);
        store.close();

        MVStore raw = new MVStore.Builder().fileName(dir.resolve("a.mv.db").toString()).readOnly().open();
        try {
            StoredBlock partial = StoredBlock.decode(LINK, 0, MvStoreKeyPoolStore.openBlocks(raw, LINK).get(0L));
            assertThat(partial.tailOffset()).isEqualTo(C + 100);
            assertThat(partial.chunks()).isEqualTo(2);
            assertThat(partial.sealedLength()).isEqualTo(BLOCK - C - 100 + 2 * AtRestCipher.OVERHEAD);
        } finally {
            raw.close();
        }
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);
        assertThat(store.reserve(LINK, (BLOCK - C - 100) * 8L).key()).isEqualTo(stream.bytes(C + 100, BLOCK - C - 100));
    }

    @Test
    void swappedChunksFailAuthentication() throws IOException {
        store.close();
        MVStore raw = new MVStore.Builder().fileName(dir.resolve("a.mv.db").toString()).open();
        try {
            MVMap<Long, byte[]> blocks = MvStoreKeyPoolStore.openBlocks(raw, LINK);
            byte[] rec = blocks.get(1L).clone();
            int header = rec.length - StoredBlock.decode(LINK, 1, rec).sealedLength();
            int sealedChunk = C + AtRestCipher.OVERHEAD;
            byte[] first = java.util.Arrays.copyOfRange(rec, header, header + sealedChunk);
            System.arraycopy(rec, header + sealedChunk, rec, header, sealedChunk);
            System.arraycopy(first, 0, rec, header + sealedChunk, sealedChunk);
            blocks.put(1L, rec);
            raw.commit();
        } finally {
            raw.close();
        }
        store = MvStoreKeyPoolStore.open(dir.resolve("a.mv.db"), keyFile);

        assertThat(store.reserve(LINK, BLOCK * 8L).key()).isEqualTo(stream.bytes(0, BLOCK));
        KeyPoolException e = catchThrowableOfType(KeyPoolException.class, () -> store.reserve(LINK, 8));
        assertThat(e.reason()).isEqualTo(Reason.CORRUPT);
        assertThat(e.getMessage()).contains("block 1");
    }
}

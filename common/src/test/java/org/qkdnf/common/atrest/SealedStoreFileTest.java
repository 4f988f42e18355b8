package org.qkdnf.common.atrest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SealedStoreFileTest {

    private static final byte[] AAD = {1};
    private static final byte[] PLAIN = new byte[64];

    @TempDir
    Path dir;

    @Test
    void twoFilesUnderOneKeyFileNeverSealAlike() throws IOException {
        Path keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        SealedStoreFile.Opened a = SealedStoreFile.open(dir.resolve("a.mv.db"), KeyFile.read(keyFile), "a");
        SealedStoreFile.Opened b = SealedStoreFile.open(dir.resolve("b.mv.db"), KeyFile.read(keyFile), "b");
        try {
            // Both are at epoch 1, counter 0 (the key check used counter 0; this is counter 1): the
            // same nonce. Under one key that would be the same key stream; each file has its own key.
            assertThat(a.epoch()).isEqualTo(b.epoch());
            byte[] sa = a.cipher().seal(AAD, PLAIN, 0, PLAIN.length);
            byte[] sb = b.cipher().seal(AAD, PLAIN, 0, PLAIN.length);
            assertThat(java.util.Arrays.copyOf(sa, AtRestCipher.NONCE_BYTES))
                    .isEqualTo(java.util.Arrays.copyOf(sb, AtRestCipher.NONCE_BYTES));
            assertThat(sa).isNotEqualTo(sb);
            assertThatThrownBy(() -> b.cipher().open(AAD, sa, 0, sa.length))
                    .isInstanceOf(javax.crypto.AEADBadTagException.class);
        } finally {
            a.mv().close();
            b.mv().close();
        }
    }

    @Test
    void aReopenedFileHasANewEpochAndRefusesAnotherKey() throws Exception {
        Path keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        Path file = dir.resolve("a.mv.db");
        SealedStoreFile.Opened first = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store");
        byte[] sealed = first.cipher().seal(AAD, PLAIN, 0, PLAIN.length);
        first.mv().close();
        SealedStoreFile.Opened again = SealedStoreFile.open(file, KeyFile.read(keyFile), "test store");
        try {
            assertThat(again.epoch()).isEqualTo(first.epoch() + 1);
            assertThat(again.cipher().open(AAD, sealed, 0, sealed.length)).isEqualTo(PLAIN);
        } finally {
            again.mv().close();
        }
        Path otherKey = dir.resolve("other.key");
        KeyFile.create(otherKey);
        assertThatThrownBy(() -> SealedStoreFile.open(file, KeyFile.read(otherKey), "test store"))
                .isInstanceOf(IOException.class).hasMessageContaining("test store").hasMessageContaining("not this store's key");
    }

    @Test
    void aStoreOpenedWithACacheServesMultiMegabytePagesFromMemory() throws Exception {
        Path keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        assertThat(fileReadsOfASecondGet(SealedStoreFile.open(dir.resolve("c.mv.db"), KeyFile.read(keyFile), "c", 64)))
                .isZero();
        // the reason for the parameter: MVStore's default cache never holds a page this large
        assertThat(fileReadsOfASecondGet(SealedStoreFile.open(dir.resolve("d.mv.db"), KeyFile.read(keyFile), "d")))
                .isPositive();
    }

    @Test
    void aNegativeCacheSizeIsRefused() throws IOException {
        Path keyFile = dir.resolve("store.key");
        KeyFile.create(keyFile);
        assertThatThrownBy(() -> SealedStoreFile.open(dir.resolve("e.mv.db"), KeyFile.read(keyFile), "e", -1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("cacheMegabytes");
    }

    /** File reads of the second get of a 4 MiB value (one of four) that was committed and read once. */
    private static long fileReadsOfASecondGet(SealedStoreFile.Opened opened) {
        org.h2.mvstore.MVStore mv = opened.mv();
        try {
            org.h2.mvstore.MVMap<Long, byte[]> map = mv.openMap("blocks");
            for (long i = 0; i < 4; i++) {
                map.put(i, new byte[4 << 20]);  // a leaf page each; the map's root refers to them by position
            }
            mv.commit();
            map.get(2L);
            long before = mv.getFileStore().getReadCount();
            map.get(2L);
            return mv.getFileStore().getReadCount() - before;
        } finally {
            mv.close();
        }
    }
}

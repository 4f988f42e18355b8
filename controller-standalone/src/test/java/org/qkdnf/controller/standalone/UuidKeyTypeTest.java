package org.qkdnf.controller.standalone;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class UuidKeyTypeTest {

    @TempDir
    Path dir;

    @Test
    void everyKeyReadsBackExactlyAfterReopenAndInStringOrder() {
        List<String> keys = new ArrayList<>();
        for (int i = 0; i < 500; i++) {
            keys.add(UUID.randomUUID().toString());
        }
        String upper = UUID.randomUUID().toString().toUpperCase();
        keys.add(upper);
        keys.add("not-a-uuid");
        keys.add("");
        keys.add("0000000-0000-4000-8000-00000000000aa"); // 36 characters, dashes misplaced
        String file = dir.resolve("keys.mv.db").toString();
        try (MVStore mv = new MVStore.Builder().fileName(file).open()) {
            MVMap<String, String> m = open(mv);
            keys.forEach(k -> m.put(k, "v" + k));
            mv.commit();
        }
        try (MVStore mv = new MVStore.Builder().fileName(file).open()) {
            MVMap<String, String> m = open(mv);
            assertThat(m.keySet()).containsExactlyElementsOf(keys.stream().sorted().toList());
            keys.forEach(k -> assertThat(m.get(k)).isEqualTo("v" + k));
            assertThat(m.get(upper.toLowerCase())).as("an upper-case id is another key").isNull();
        }
    }

    /** The compact form is 17 bytes against 37 for the text: a map of 2,000 ids shrinks on disk. */
    @Test
    void canonicalIdsTakeTheCompactForm() {
        assertThat(fileSize(UuidKeyType.INSTANCE)).isLessThan(fileSize(null) * 3 / 4);
    }

    private long fileSize(UuidKeyType keyType) {
        Path file = dir.resolve((keyType == null ? "text" : "compact") + ".mv.db");
        try (MVStore mv = new MVStore.Builder().fileName(file.toString()).open()) {
            MVMap.Builder<String, String> b = new MVMap.Builder<>();
            MVMap<String, String> m = mv.openMap("m", keyType == null ? b : b.keyType(keyType));
            for (int i = 0; i < 2_000; i++) {
                m.put(UUID.randomUUID().toString(), "");
            }
            mv.commit();
        }
        return file.toFile().length();
    }

    private static MVMap<String, String> open(MVStore mv) {
        return mv.openMap("m", new MVMap.Builder<String, String>().keyType(UuidKeyType.INSTANCE));
    }
}

package org.qkdnf.bench.etsi014;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny load through the whole path: it measured something and every key pair matched. No timing asserted. */
class Etsi014LoadSmokeTest {

    @TempDir
    Path dir;

    @Test
    void measuresEncAndPairOperations() throws Exception {
        try (Etsi014Bed bed = new Etsi014Bed(dir, 1, 1L << 24, 1L << 20)) {
            long deadline = System.nanoTime() + 60_000_000_000L;
            while (bed.storedKeys() < 200) {
                assertThat(System.nanoTime()).as("key relayed within 60 s").isLessThan(deadline);
                Thread.sleep(100);
            }
            for (Etsi014LoadDriver.Mode mode : Etsi014LoadDriver.Mode.values()) {
                Etsi014LoadDriver.Result r = Etsi014LoadDriver.run(new Etsi014LoadDriver.Settings("127.0.0.1",
                        bed.masterPort(), "127.0.0.1", bed.slavePort(), bed.master, bed.slave, Etsi014Bed.MASTER,
                        Etsi014Bed.SLAVE, mode, 2, 256, 200, 1000, 1));
                assertThat(r.operations()).as(mode + ": " + Etsi014LoadMain.row(r, bed.storedKeys())).isPositive();
                assertThat(r.failures()).as("lost connections or differing keys").isZero();
                assertThat(r.p50Micros()).isPositive();
            }
        }
    }

    @Test
    void readsStringFieldsOfAKeyContainer() {
        String body = "{\"keys\":[{\"key_ID\":\"6f1c0a4e-0000-4000-8000-000000000001\",\"key\":\"q83v\"}]}";
        assertThat(Etsi014LoadDriver.field(body, "key_ID")).isEqualTo("6f1c0a4e-0000-4000-8000-000000000001");
        assertThat(Etsi014LoadDriver.field(body, "key")).isEqualTo("q83v");
        assertThat(Etsi014LoadDriver.field(body, "nope")).isNull();
    }
}

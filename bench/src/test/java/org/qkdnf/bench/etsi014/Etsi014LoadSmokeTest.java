package org.qkdnf.bench.etsi014;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A tiny load through the whole path, closed-loop and paced: it measured something and every key pair matched. No timing asserted. */
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
                        Etsi014Bed.SLAVE, mode, 2, 256, 200, 1000, 1, 0));
                assertThat(r.operations()).as(mode + ": " + Etsi014LoadMain.row(r, bed.storedKeys())).isPositive();
                assertThat(r.failures()).as("lost connections or differing keys").isZero();
                assertThat(r.p50Micros()).isPositive();
            }
            // Constant rate: never more operations than were due in the window (plus one per
            // connection due just before it), however fast the machine.
            Etsi014LoadDriver.Result paced = Etsi014LoadDriver.run(new Etsi014LoadDriver.Settings("127.0.0.1",
                    bed.masterPort(), "127.0.0.1", bed.slavePort(), bed.master, bed.slave, Etsi014Bed.MASTER,
                    Etsi014Bed.SLAVE, Etsi014LoadDriver.Mode.PAIR, 2, 256, 200, 1000, 1, 200));
            assertThat(paced.operations()).as(Etsi014LoadMain.row(paced, bed.storedKeys())).isPositive()
                    .isLessThanOrEqualTo((long) Math.ceil(200 * paced.seconds()) + 2);
            assertThat(paced.failures()).isZero();
        }
    }

    @Test
    void acceptsAOneKeyContainerInAnyLayoutAndNamesWhatIsWrong() {
        String id = "6f1c0a4e-0000-4000-8000-000000000001";
        String key = java.util.Base64.getEncoder().encodeToString(new byte[32]);
        assertThat(KeyContainerCheck.check("{\"keys\":[{\"key_ID\":\"" + id + "\",\"key\":\"" + key + "\"}]}", 32))
                .isEqualTo(new KeyContainerCheck.Key(id, key));
        assertThat(KeyContainerCheck.check("{ \"keys\" : [ { \"key\" : \"" + key + "\", \"key_ID\" : \"" + id + "\" } ] }", 32))
                .isEqualTo(new KeyContainerCheck.Key(id, key));
        assertThatThrownBy(() -> KeyContainerCheck.check("{\"keys\":[{\"key_ID\":\"" + id + "\",\"key\":\"" + key + "\"}]}", 16))
                .hasMessageStartingWith("key: 32 bytes");
        assertThatThrownBy(() -> KeyContainerCheck.check("{\"keys\":[{\"key_ID\":\"" + "6f1c0a4e-0000-4000-8000-00000000000g" + "\",\"key\":\""
                + key + "\"}]}", 32)).hasMessageStartingWith("key_ID");
        assertThatThrownBy(() -> KeyContainerCheck.check("{\"keys\":[]}", 32)).hasMessageStartingWith("keys:");
        assertThatThrownBy(() -> KeyContainerCheck.check("{\"keys\":[{", 32)).hasMessageStartingWith("body:");
    }

    @Test
    void readsResponsesFramedByContentLengthAcrossReads() {
        io.netty.channel.embedded.EmbeddedChannel ch = new io.netty.channel.embedded.EmbeddedChannel(new HttpResponseReader());
        byte[] two = ("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
                + "HTTP/1.1 400 Bad Request\r\ncontent-length: 5\r\n\r\n{\"a\"}").getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        for (int i = 0; i < two.length; i += 7) {  // split anywhere, even inside "\r\n\r\n"
            ch.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(two, i, Math.min(7, two.length - i)));
        }
        assertThat((Object) ch.readInbound()).isEqualTo(new HttpResponseReader.Response(200, "{}"));
        assertThat((Object) ch.readInbound()).isEqualTo(new HttpResponseReader.Response(400, "{\"a\"}"));
        assertThat((Object) ch.readInbound()).isNull();
        assertThatThrownBy(() -> ch.writeInbound(io.netty.buffer.Unpooled.wrappedBuffer(
                "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII))))
                .hasMessageContaining("content-length");
    }
}

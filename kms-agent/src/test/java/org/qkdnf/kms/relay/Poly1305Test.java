package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import java.util.HexFormat;
import java.util.Random;

import org.bouncycastle.crypto.params.KeyParameter;
import org.junit.jupiter.api.Test;

class Poly1305Test {

    private static byte[] tag(byte[] key, byte[] msg, int... splits) {
        Poly1305 mac = new Poly1305(key);
        int at = 0;
        for (int s : splits) {
            mac.update(msg, at, s - at);
            at = s;
        }
        mac.update(msg, at, msg.length - at);
        byte[] out = new byte[Poly1305.TAG_BYTES];
        mac.doFinal(out, 0);
        return out;
    }

    private static byte[] bouncyCastle(byte[] key, byte[] msg) {
        org.bouncycastle.crypto.macs.Poly1305 mac = new org.bouncycastle.crypto.macs.Poly1305();
        mac.init(new KeyParameter(key));
        mac.update(msg, 0, msg.length);
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        return out;
    }

    @Test
    void rfc8439TestVector() {
        // RFC 8439 section 2.5.2
        byte[] key = HexFormat.of().parseHex("85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] msg = "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        assertThat(HexFormat.of().formatHex(tag(key, msg))).isEqualTo("a8061dc1305136c6c22b8baf0c0127a9");
    }

    @Test
    void sameTagsAsBouncyCastleForRandomKeysLengthsAndSplits() {
        Random random = new Random(42);
        for (int i = 0; i < 3000; i++) {
            byte[] key = new byte[32];
            random.nextBytes(key);
            byte[] msg = new byte[random.nextInt(300)];
            random.nextBytes(msg);
            int a = msg.length == 0 ? 0 : random.nextInt(msg.length + 1);
            int b = a + (msg.length == a ? 0 : random.nextInt(msg.length - a + 1));
            assertThat(tag(key, msg, a, b)).as("case %d", i).isEqualTo(bouncyCastle(key, msg));
        }
    }

    @Test
    void extremeAccumulatorsMatchBouncyCastle() {
        // all-ones keys and messages push every limb and carry to its limit; RFC 8439 A.3 #6 style
        byte[] ones = new byte[32];
        Arrays.fill(ones, (byte) 0xFF);
        byte[] twos = new byte[32];
        twos[0] = 2;
        for (byte[] key : new byte[][] {ones, twos}) {
            for (int len : new int[] {16, 17, 32, 48, 1024, 4096 + 15}) {
                byte[] msg = new byte[len];
                Arrays.fill(msg, (byte) 0xFF);
                assertThat(tag(key, msg)).as("len %d", len).isEqualTo(bouncyCastle(key, msg));
            }
        }
        byte[] key = new byte[32];
        key[0] = 2;
        byte[] msg = HexFormat.of().parseHex("ffffffffffffffffffffffffffffffff");
        Arrays.fill(key, 16, 32, (byte) 0xFF);
        assertThat(tag(key, msg)).isEqualTo(bouncyCastle(key, msg));
    }

    @Test
    void aKeyOfTheWrongLengthIsRefused() {
        assertThatThrownBy(() -> new Poly1305(new byte[31])).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("key");
    }
}

package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.UUID;

import com.google.protobuf.ByteString;
import org.junit.jupiter.api.Test;
import org.qkdnf.proto.keyrelay.v1.PoolRange;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;

class HopCipherTest {

    private final SecureRandom random = new SecureRandom();

    private byte[] bytes(int n) {
        byte[] b = new byte[n];
        random.nextBytes(b);
        return b;
    }

    private static RelayHopRequest header() {
        PoolRange pad = PoolRange.newBuilder().setPoolId("L01/kme-a").setQkdlId("L01").setFirstBlockIndex(3)
                .setFirstBlockId(UUID.randomUUID().toString()).setOffsetBits(256).setLengthBits(1024).build();
        PoolRange mac = pad.toBuilder().setOffsetBits(0).setLengthBits(256).build();
        return RelayHopRequest.newBuilder().setServiceId(UUID.randomUUID().toString()).setSequence(7)
                .addRouteQkdnIds("kme-a").addRouteQkdnIds("kme-b").setHopIndex(1)
                .setPadRange(pad).setMacKeyRange(mac).build();
    }

    @Test
    void padIsItsOwnInverse() {
        byte[] key = bytes(128);
        byte[] pad = bytes(128);
        byte[] ct = OneTimePad.xor(key, pad);
        assertThat(ct).isNotEqualTo(key);
        assertThat(OneTimePad.xor(ct, pad)).isEqualTo(key);
        assertThatThrownBy(() -> OneTimePad.xor(key, bytes(127))).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void encryptAndTagInPiecesEqualsPadThenTagAndErasesThePad() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        // a whole chunk, two whole pieces and a short one
        int n = ChunkedBytes.CHUNK_BYTES + 2 * HopCipher.PIECE_BYTES + 40;
        byte[] key = bytes(n);
        byte[] reservation = bytes(n + 200);
        byte[] before = reservation.clone();
        byte[] pad = Arrays.copyOfRange(reservation, 100, 100 + n);
        ChunkedBytes chunked = ChunkedBytes.allocate(n);
        byte[] tag = HopCipher.encryptAndTag(macKey, h, chunked, key, reservation, 100);
        byte[] ct = chunked.asByteString().toByteArray();
        assertThat(ct).isEqualTo(OneTimePad.xor(key, pad));
        assertThat(tag).isEqualTo(HopCipher.tag(macKey, h, ct));
        assertThat(Arrays.copyOfRange(reservation, 100, 100 + n)).containsOnly(0);
        // only the slice used: the bytes around it are untouched
        assertThat(Arrays.copyOfRange(reservation, 0, 100)).isEqualTo(Arrays.copyOfRange(before, 0, 100));
        assertThat(Arrays.copyOfRange(reservation, 100 + n, n + 200))
                .isEqualTo(Arrays.copyOfRange(before, 100 + n, n + 200));

        // a relay node: the incoming pad off, the outgoing one on, in place; both pads spent
        byte[] inbound = bytes(n + 100);
        byte[] ct1 = OneTimePad.xor(key, Arrays.copyOfRange(inbound, 100, 100 + n));
        byte[] next = bytes(n);
        byte[] nextCopy = next.clone();
        ChunkedBytes forwarding = ChunkedBytes.allocate(n);
        HopCipher.copyAndVerify(macKey, h, ByteString.copyFrom(ct1), forwarding, new byte[0]);
        KeySlice strip = new KeySlice(inbound, 100, n);
        byte[] tag2 = HopCipher.swapAndTag(macKey, h, forwarding, strip, next, 0);
        byte[] forwarded = forwarding.asByteString().toByteArray();
        assertThat(forwarded).isEqualTo(OneTimePad.xor(key, nextCopy));
        assertThat(tag2).isEqualTo(HopCipher.tag(macKey, h, forwarded));
        assertThat(next).containsOnly(0);
        assertThat(Arrays.copyOfRange(inbound, 100, 100 + n)).containsOnly(0);
        inbound[150] = 1;
        strip.erase();  // marked erased: the lender's own pass is skipped
        assertThat(inbound[150]).isEqualTo((byte) 1);
    }

    @Test
    void verifyAndDecryptReturnsTheKeyOrZerosOnABadTag() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        int n = HopCipher.PIECE_BYTES + 16;
        byte[] key = bytes(n);
        byte[] pad = bytes(n + 8);
        byte[] pad2 = pad.clone();
        ChunkedBytes chunked = ChunkedBytes.allocate(n);
        byte[] tag = HopCipher.encryptAndTag(macKey, h, chunked, key, pad, 8);
        byte[] ct = chunked.asByteString().toByteArray();

        byte[] data = new byte[n];
        KeySlice slice = new KeySlice(pad2, 8, n);
        assertThat(HopCipher.verifyAndDecrypt(macKey, h, ByteString.copyFrom(ct), data, slice, tag)).isTrue();
        assertThat(data).isEqualTo(key);
        assertThat(Arrays.copyOfRange(pad2, 8, 8 + n)).containsOnly(0);

        byte[] tampered = ct.clone();
        tampered[n - 1] ^= 1;
        byte[] out = new byte[n];
        assertThat(HopCipher.verifyAndDecrypt(macKey, h, ByteString.copyFrom(tampered), out,
                new KeySlice(bytes(n), 0, n), tag)).isFalse();
        assertThat(out).containsOnly(0);
    }

    @Test
    void copyAndVerifyCopiesTheCiphertextAndChecksItsTag() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        byte[] ct = bytes(ChunkedBytes.CHUNK_BYTES + 2 * HopCipher.PIECE_BYTES + 3);
        byte[] tag = HopCipher.tag(macKey, h, ct);
        ChunkedBytes out = ChunkedBytes.allocate(ct.length);
        assertThat(HopCipher.copyAndVerify(macKey, h, ByteString.copyFrom(ct), out, tag)).isTrue();
        assertThat(out.asByteString().toByteArray()).isEqualTo(ct);
        byte[] tampered = ct.clone();
        tampered[ChunkedBytes.CHUNK_BYTES + HopCipher.PIECE_BYTES] ^= (byte) 0x80;
        assertThat(HopCipher.copyAndVerify(macKey, h, ByteString.copyFrom(tampered),
                ChunkedBytes.allocate(ct.length), tag)).isFalse();
        assertThat(HopCipher.copyAndVerify(macKey, h, ByteString.copyFrom(ct), ChunkedBytes.allocate(ct.length),
                Arrays.copyOf(tag, 15))).isFalse();
        // the same check in place, over chunks
        ChunkedBytes inPlace = ChunkedBytes.sharing(out.asByteString());
        assertThat(HopCipher.verify(macKey, h, inPlace, tag)).isTrue();
        inPlace.arrayAt(ChunkedBytes.CHUNK_BYTES)[HopCipher.PIECE_BYTES] ^= 1;
        assertThat(HopCipher.verify(macKey, h, inPlace, tag)).isFalse();
    }

    @Test
    void tagVerifiesOverUntouchedMessage() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        byte[] ct = bytes(128);
        byte[] tag = HopCipher.tag(macKey, h, ct);
        assertThat(tag).hasSize(HopCipher.TAG_BYTES);
        assertThat(HopCipher.verify(macKey, h, ct, tag)).isTrue();
    }

    @Test
    void everyFlippedCiphertextBitFailsTheTag() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        byte[] ct = bytes(64);
        byte[] tag = HopCipher.tag(macKey, h, ct);
        for (int bit = 0; bit < ct.length * 8; bit++) {
            byte[] tampered = ct.clone();
            tampered[bit / 8] ^= (byte) (1 << (bit % 8));
            assertThat(HopCipher.verify(macKey, h, tampered, tag)).as("bit %d", bit).isFalse();
        }
    }

    @Test
    void tamperedHeaderFailsTheTag() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        byte[] ct = bytes(64);
        byte[] tag = HopCipher.tag(macKey, h, ct);
        assertThat(HopCipher.verify(macKey, h.toBuilder().setSequence(8).build(), ct, tag)).isFalse();
        assertThat(HopCipher.verify(macKey, h.toBuilder().setHopIndex(2).build(), ct, tag)).isFalse();
        assertThat(HopCipher.verify(macKey, h.toBuilder().setRouteQkdnIds(1, "kme-x").build(), ct, tag)).isFalse();
        assertThat(HopCipher.verify(macKey, h.toBuilder().setPadRange(
                h.getPadRange().toBuilder().setOffsetBits(264)).build(), ct, tag)).isFalse();
        assertThat(HopCipher.verify(macKey, h.toBuilder().setMacKeyRange(
                h.getMacKeyRange().toBuilder().setPoolId("L01/kme-b")).build(), ct, tag)).isFalse();
    }

    @Test
    void laneKeyTagCoversHeaderAndKeyRangeAndIsNeverAPaddedHopsTag() {
        byte[] macKey = bytes(32);
        RelayHopRequest padded = header();
        RelayHopRequest h = padded.toBuilder().clearPadRange().setKeyRange(padded.getPadRange()).build();
        byte[] tag = HopCipher.laneKeyTag(macKey, h);
        assertThat(HopCipher.laneKeyTag(macKey, h)).isEqualTo(tag);
        // the same fields as a padded hop with no ciphertext: another domain, another tag
        assertThat(HopCipher.tag(macKey, padded, new byte[0])).isNotEqualTo(tag);
        for (RelayHopRequest changed : new RelayHopRequest[] {
                h.toBuilder().setSequence(8).build(),
                h.toBuilder().setServiceId(UUID.randomUUID().toString()).build(),
                h.toBuilder().setHopIndex(2).build(),
                h.toBuilder().setRouteQkdnIds(1, "kme-x").build(),
                h.toBuilder().setKeyRange(h.getKeyRange().toBuilder().setSliceOffsetBits(8)).build(),
                h.toBuilder().setKeyRange(h.getKeyRange().toBuilder().setLengthBits(1032)).build(),
                h.toBuilder().setKeyRange(h.getKeyRange().toBuilder().setFirstBlockId(UUID.randomUUID().toString()))
                        .build(),
                h.toBuilder().setMacKeyRange(h.getMacKeyRange().toBuilder().setOffsetBits(8)).build()}) {
            assertThat(HopCipher.laneKeyTag(macKey, changed)).as(changed.toString()).isNotEqualTo(tag);
        }
        assertThat(HopCipher.laneKeyTag(bytes(32), h)).isNotEqualTo(tag);
    }

    @Test
    void truncatedCiphertextOrTagFails() {
        byte[] macKey = bytes(32);
        RelayHopRequest h = header();
        byte[] ct = bytes(64);
        byte[] tag = HopCipher.tag(macKey, h, ct);
        assertThat(HopCipher.verify(macKey, h, Arrays.copyOf(ct, 63), tag)).isFalse();
        assertThat(HopCipher.verify(macKey, h, new byte[0], tag)).isFalse();
        assertThat(HopCipher.verify(macKey, h, ct, Arrays.copyOf(tag, 15))).isFalse();
    }

    @Test
    void anotherMacKeyFails() {
        RelayHopRequest h = header();
        byte[] ct = bytes(64);
        byte[] tag = HopCipher.tag(bytes(32), h, ct);
        assertThat(HopCipher.verify(bytes(32), h, ct, tag)).isFalse();
        assertThatThrownBy(() -> HopCipher.tag(bytes(16), h, ct)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void poly1305MatchesRfc8439Vector() {
        // RFC 8439 section 2.5.2: raw Poly1305 with a 32-byte (r, s) key, no AES.
        byte[] key = java.util.HexFormat.of().parseHex(
                "85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b");
        byte[] msg = "Cryptographic Forum Research Group".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        org.bouncycastle.crypto.macs.Poly1305 mac = new org.bouncycastle.crypto.macs.Poly1305();
        mac.init(new org.bouncycastle.crypto.params.KeyParameter(key));
        mac.update(msg, 0, msg.length);
        byte[] out = new byte[16];
        mac.doFinal(out, 0);
        assertThat(java.util.HexFormat.of().formatHex(out)).isEqualTo("a8061dc1305136c6c22b8baf0c0127a9");
    }
}

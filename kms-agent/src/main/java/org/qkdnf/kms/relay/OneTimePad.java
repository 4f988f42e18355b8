package org.qkdnf.kms.relay;

/**
 * The one-time pad of a relay hop: data XOR link key, bit for bit. Encryption and decryption are
 * the same operation. The pad must be exactly as long as the data and must never be used again,
 * which the pool store guarantees (every pad is a range taken by {@code reserve} or
 * {@code consume}, and a range is taken only once).
 */
public final class OneTimePad {

    private OneTimePad() {
    }

    /**
     * Returns {@code data XOR pad} as a new array; neither argument is changed.
     *
     * @throws IllegalArgumentException when the lengths differ
     */
    public static byte[] xor(byte[] data, byte[] pad) {
        byte[] out = data.clone();
        xorInPlace(out, pad);
        return out;
    }

    /**
     * Replaces {@code data} by {@code data XOR pad}.
     *
     * @throws IllegalArgumentException when the lengths differ
     */
    public static void xorInPlace(byte[] data, byte[] pad) {
        if (data.length != pad.length) {
            throw new IllegalArgumentException("pad: " + pad.length + " bytes for " + data.length + " bytes of data");
        }
        xorInPlace(data, pad, 0);
    }

    /**
     * Replaces {@code data} by {@code data XOR pad[padOffset .. padOffset + data.length)}.
     *
     * @throws IndexOutOfBoundsException when the pad is too short
     */
    public static void xorInPlace(byte[] data, byte[] pad, int padOffset) {
        java.util.Objects.checkFromIndexSize(padOffset, data.length, pad.length);
        // A plain indexed loop: C2 vectorises it (superword), so no hand-written long loop is needed.
        for (int i = 0; i < data.length; i++) {
            data[i] ^= pad[padOffset + i];
        }
    }

    /**
     * Writes {@code data[dataOffset ..) XOR pad[padOffset ..)}, {@code length} bytes, into
     * {@code out} at {@code outOffset}; {@code out} may be {@code data} at the same offset.
     *
     * @throws IndexOutOfBoundsException when an array is too short
     */
    static void xorInto(byte[] out, int outOffset, byte[] data, int dataOffset, byte[] pad, int padOffset,
                        int length) {
        java.util.Objects.checkFromIndexSize(outOffset, length, out.length);
        java.util.Objects.checkFromIndexSize(dataOffset, length, data.length);
        java.util.Objects.checkFromIndexSize(padOffset, length, pad.length);
        for (int i = 0; i < length; i++) {
            out[outOffset + i] = (byte) (data[dataOffset + i] ^ pad[padOffset + i]);
        }
    }

    /**
     * XORs {@code padA[offsetA ..)} and {@code padB[offsetB ..)} into {@code data[offset ..)},
     * {@code length} bytes: a relay node takes one hop's pad off and puts the next hop's on in one
     * pass, so the plaintext key is never written to memory there.
     *
     * @throws IndexOutOfBoundsException when an array is too short
     */
    static void xorInPlace(byte[] data, int offset, byte[] padA, int offsetA, byte[] padB, int offsetB, int length) {
        java.util.Objects.checkFromIndexSize(offset, length, data.length);
        java.util.Objects.checkFromIndexSize(offsetA, length, padA.length);
        java.util.Objects.checkFromIndexSize(offsetB, length, padB.length);
        for (int i = 0; i < length; i++) {
            data[offset + i] ^= (byte) (padA[offsetA + i] ^ padB[offsetB + i]);
        }
    }
}

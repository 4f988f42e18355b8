package org.qkdnf.agent.sim;

import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * The secret both simulated ends of a link share, standing in for the quantum channel. 32 bytes.
 * Never printed: {@link #toString()} hides it.
 */
public final class KeySeed {

    public static final int BYTES = 32;
    private static final SecureRandom RANDOM = new SecureRandom();

    private final byte[] bytes;

    private KeySeed(byte[] bytes) {
        if (bytes.length != BYTES) {
            throw new IllegalArgumentException("key seed: must be " + BYTES + " bytes, got " + bytes.length);
        }
        this.bytes = bytes.clone();
    }

    public static KeySeed of(byte[] bytes) {
        return new KeySeed(bytes);
    }

    /** Parses 64 hex digits (surrounding white space ignored). */
    public static KeySeed fromHex(String hex) {
        String h = hex.strip();
        if (h.length() != BYTES * 2) {
            throw new IllegalArgumentException("key seed: must be " + BYTES * 2 + " hex digits, got " + h.length());
        }
        try {
            return new KeySeed(HexFormat.of().parseHex(h));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key seed: not hexadecimal");
        }
    }

    public static KeySeed random() {
        byte[] b = new byte[BYTES];
        RANDOM.nextBytes(b);
        return new KeySeed(b);
    }

    public String toHex() {
        return HexFormat.of().formatHex(bytes);
    }

    byte[] bytes() {
        return bytes;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof KeySeed && Arrays.equals(bytes, ((KeySeed) o).bytes);
    }

    @Override
    public int hashCode() {
        return Arrays.hashCode(bytes);
    }

    @Override
    public String toString() {
        return "KeySeed[hidden]";
    }
}

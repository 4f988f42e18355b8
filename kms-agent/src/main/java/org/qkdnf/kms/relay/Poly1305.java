package org.qkdnf.kms.relay;

import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Poly1305 (RFC 8439 section 2.5) with a raw 32-byte one-time key {@code r || s}, for
 * {@link HopCipher}.
 *
 * <p>Why not BouncyCastle's: after at-rest decryption was made cheap, its Poly1305 (26-bit limbs,
 * 25 multiplications per 16-byte block) was the largest CPU cost of a relay hop, and every key bit
 * is authenticated twice per hop (tag at the sender, check at the receiver). This one keeps the
 * accumulator in radix 2^64 ({@code h0, h1} plus a few bits in {@code h2}) and needs 4 full and 2
 * small 64-bit products per block ({@code Math.multiplyHigh} is a JIT intrinsic), the scalar scheme
 * of OpenSSL's poly1305 for 64-bit targets. Same tags as BouncyCastle's, bit for bit
 * ({@code Poly1305Test}), so both ends of a hop may run either.
 *
 * <p>Not thread-safe; one instance per message. Not constant-time in the final comparison (that
 * is {@link HopCipher#verify}'s job); the arithmetic has no secret-dependent branches.
 */
final class Poly1305 {

    static final int KEY_BYTES = 32;
    static final int TAG_BYTES = 16;

    private static final VarHandle LE64 = MethodHandles.byteArrayViewVarHandle(long[].class, ByteOrder.LITTLE_ENDIAN);

    private final long r0;
    private final long r1;
    /** r1 + r1/4 = 5 * r1 / 4 (r1 is a multiple of 4 after clamping): folds 2^130 back as 5. */
    private final long s1;
    private final long pad0;
    private final long pad1;
    private long h0;
    private long h1;
    private long h2;
    private final byte[] partial = new byte[16];
    private int partialLength;

    /** @param key 32 bytes: {@code r} (clamped here) then {@code s}; the array is not kept */
    Poly1305(byte[] key) {
        if (key.length != KEY_BYTES) {
            throw new IllegalArgumentException("key: must be " + KEY_BYTES + " bytes, got " + key.length);
        }
        r0 = (long) LE64.get(key, 0) & 0x0FFFFFFC0FFFFFFFL;
        r1 = (long) LE64.get(key, 8) & 0x0FFFFFFC0FFFFFFCL;
        s1 = r1 + (r1 >>> 2);
        pad0 = (long) LE64.get(key, 16);
        pad1 = (long) LE64.get(key, 24);
    }

    void update(byte[] in, int off, int len) {
        if (partialLength > 0) {
            int n = Math.min(len, 16 - partialLength);
            System.arraycopy(in, off, partial, partialLength, n);
            partialLength += n;
            off += n;
            len -= n;
            if (partialLength < 16) {
                return;
            }
            blocks(partial, 0, 16, 1);
            partialLength = 0;
        }
        int whole = len & ~15;
        if (whole > 0) {
            blocks(in, off, whole, 1);
        }
        int rest = len - whole;
        if (rest > 0) {
            System.arraycopy(in, off + whole, partial, 0, rest);
            partialLength = rest;
        }
    }

    /** Writes the 16-byte tag into {@code out} at {@code off}; the instance is spent. */
    void doFinal(byte[] out, int off) {
        if (partialLength > 0) {
            partial[partialLength] = 1;  // the short last block's pad bit, in place of the 2^128 bit
            Arrays.fill(partial, partialLength + 1, 16, (byte) 0);
            blocks(partial, 0, 16, 0);
            Arrays.fill(partial, (byte) 0);
            partialLength = 0;
        }
        // h mod p: h < 2p here, so subtract p once if h + 5 reaches 2^130
        long g0 = h0 + 5;
        long c = carry(h0, 5, g0);
        long g1 = h1 + c;
        c = carry(h1, c, g1);
        long g2 = h2 + c;
        long mask = -(g2 >>> 2);  // all ones when h >= p
        long t0 = (h0 & ~mask) | (g0 & mask);
        long t1 = (h1 & ~mask) | (g1 & mask);
        long o0 = t0 + pad0;
        long o1 = t1 + pad1 + carry(t0, pad0, o0);
        LE64.set(out, off, o0);
        LE64.set(out, off + 8, o1);
        h0 = 0;
        h1 = 0;
        h2 = 0;
    }

    /** Absorbs {@code len} (a multiple of 16) bytes; {@code hibit} is 1 for message blocks. */
    private void blocks(byte[] in, int off, int len, long hibit) {
        long a0 = h0;
        long a1 = h1;
        long a2 = h2;
        for (int end = off + len; off < end; off += 16) {
            long m0 = (long) LE64.get(in, off);
            long m1 = (long) LE64.get(in, off + 8);
            long t = a0 + m0;
            long c = carry(a0, m0, t);
            a0 = t;
            t = a1 + m1 + c;
            c = carry(a1, m1, t);
            a1 = t;
            a2 += c + hibit;

            // d0 = a0*r0 + a1*s1, d1 = a0*r1 + a1*r0 + a2*s1, d2 = a2*r0 (a2 is a few bits)
            long d0lo = a0 * r0;
            long d0hi = mulHigh(a0, r0);
            long p = a1 * s1;
            long d0lo2 = d0lo + p;
            d0hi += mulHigh(a1, s1) + carry(d0lo, p, d0lo2);
            d0lo = d0lo2;

            long d1lo = a0 * r1;
            long d1hi = mulHigh(a0, r1);
            p = a1 * r0;
            long s = d1lo + p;
            d1hi += mulHigh(a1, r0) + carry(d1lo, p, s);
            d1lo = s;
            p = a2 * s1;
            s = d1lo + p;
            d1hi += carry(d1lo, p, s);
            d1lo = s;
            long d2 = a2 * r0;

            a0 = d0lo;
            s = d1lo + d0hi;
            d1hi += carry(d1lo, d0hi, s);
            a1 = s;
            a2 = d2 + d1hi;

            // partial reduction: the bits from 2^130 up come back multiplied by 5
            c = (a2 >>> 2) + (a2 & ~3L);
            a2 &= 3;
            t = a0 + c;
            c = carry(a0, c, t);
            a0 = t;
            t = a1 + c;
            c = carry(a1, c, t);
            a1 = t;
            a2 += c;
        }
        h0 = a0;
        h1 = a1;
        h2 = a2;
    }

    /**
     * Carry out of {@code sum = a + b} or {@code sum = a + b + 1} (unsigned, 64 bits): the
     * majority of the top bits of a, b and the carry into bit 63, which {@code ~sum} reveals.
     */
    private static long carry(long a, long b, long sum) {
        return ((a & b) | ((a | b) & ~sum)) >>> 63;
    }

    /** High 64 bits of the unsigned product of {@code a} and {@code b}, b below 2^63. */
    private static long mulHigh(long a, long b) {
        return Math.multiplyHigh(a, b) + ((a >> 63) & b);
    }
}

package org.qkdnf.common.atrest;

import java.nio.ByteBuffer;
import java.security.GeneralSecurityException;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicLong;

import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.SecretKey;
import javax.crypto.spec.GCMParameterSpec;

/**
 * AES-256-GCM for key at rest. Output: 12-byte nonce, ciphertext, 16-byte tag.
 *
 * <p>Nonces are never reused under one key: a nonce is the store's open epoch (32 bits, made
 * durable by the owning store when it opens, before its first seal) followed by a counter
 * (64 bits) of seals since that open. Random nonces would hit GCM's 2^32-message limit within hours
 * at a gigabit of 1 KiB blocks; the counter has no such limit.
 *
 * <p>Thread-safe: the counter is atomic and each thread has its own {@link Cipher}.
 */
public final class AtRestCipher {

    public static final int NONCE_BYTES = 12;
    public static final int TAG_BITS = 128;
    public static final int OVERHEAD = NONCE_BYTES + TAG_BITS / 8;

    private final SecretKey key;
    private final int epoch;
    private final AtomicLong counter = new AtomicLong();
    private final ThreadLocal<Cipher> ciphers = ThreadLocal.withInitial(AtRestCipher::newCipher);

    public AtRestCipher(SecretKey key, int epoch) {
        this.key = Objects.requireNonNull(key, "key");
        this.epoch = epoch;
    }

    /** Encrypts {@code len} bytes of {@code plain} from {@code off}, binding {@code aad}. */
    public byte[] seal(byte[] aad, byte[] plain, int off, int len) {
        byte[] out = new byte[OVERHEAD + len];
        sealInto(aad, plain, off, len, out, 0);
        return out;
    }

    /**
     * Like {@link #seal} but writes nonce, ciphertext and tag ({@link #OVERHEAD} + {@code len}
     * bytes) into {@code out} from {@code outOff}, so a record's header and its sealed body share
     * one array without a copy.
     */
    public void sealInto(byte[] aad, byte[] plain, int off, int len, byte[] out, int outOff) {
        ByteBuffer.wrap(out, outOff, NONCE_BYTES).putInt(epoch).putLong(counter.getAndIncrement());
        Cipher c = ciphers.get();
        try {
            c.init(Cipher.ENCRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, out, outOff, NONCE_BYTES));
            c.updateAAD(aad);
            c.doFinal(plain, off, len, out, outOff + NONCE_BYTES);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM seal failed", e);
        }
    }

    /**
     * Decrypts what {@link #seal} produced with the same {@code aad}.
     *
     * @throws AEADBadTagException when the data or the aad were altered, or the key is another one
     */
    public byte[] open(byte[] aad, byte[] sealed, int off, int len) throws AEADBadTagException {
        if (len < OVERHEAD) {
            throw new AEADBadTagException("sealed data too short: " + len + " bytes");
        }
        Cipher c = ciphers.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, off, NONCE_BYTES));
            c.updateAAD(aad);
            return c.doFinal(sealed, off + NONCE_BYTES, len - NONCE_BYTES);
        } catch (AEADBadTagException e) {
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }

    /**
     * Like {@link #open} but decrypts into {@code out} from {@code outOff} ({@code len} -
     * {@link #OVERHEAD} bytes), so callers assembling a range from many sealed pieces copy nothing.
     * When the tag does not verify, those bytes of {@code out} are zeroed.
     */
    public void openInto(byte[] aad, byte[] sealed, int off, int len, byte[] out, int outOff) throws AEADBadTagException {
        if (len < OVERHEAD) {
            throw new AEADBadTagException("sealed data too short: " + len + " bytes");
        }
        Cipher c = ciphers.get();
        try {
            c.init(Cipher.DECRYPT_MODE, key, new GCMParameterSpec(TAG_BITS, sealed, off, NONCE_BYTES));
            c.updateAAD(aad);
            c.doFinal(sealed, off + NONCE_BYTES, len - NONCE_BYTES, out, outOff);
        } catch (AEADBadTagException e) {
            Arrays.fill(out, outOff, outOff + len - OVERHEAD, (byte) 0);
            throw e;
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM open failed", e);
        }
    }

    private static Cipher newCipher() {
        try {
            return Cipher.getInstance("AES/GCM/NoPadding");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("this JVM has no AES/GCM/NoPadding", e);
        }
    }
}

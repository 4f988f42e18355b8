package org.qkdnf.agent.sim;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.util.NoSuchElementException;
import java.util.UUID;

import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.agent.driver.KeyBlockSource;

/**
 * The key stream of one simulated link: what the two ends of a real link obtain by sifting, error
 * correction and privacy amplification, here derived from a secret seed both ends share (the
 * seed stands in for the quantum channel). Block {@code i}'s id and bits are a function of the
 * seed, the link id and {@code i} only, so every block both ends hold is bit-identical under the
 * same id; how many blocks each end has produced is its own count of the key the channel yielded.
 *
 * <p>Derivation: per link, two 256-bit keys {@code K_key = HMAC-SHA256(seed, "qkdnf/key/" + qkdl_id)}
 * and {@code K_id = HMAC-SHA256(seed, "qkdnf/block-id/" + qkdl_id)}; block {@code i} is the
 * AES-256-CTR keystream under {@code K_key} with the initial counter block {@code i || 0^64}
 * (blocks never overlap while a block is under 2^68 bytes), and its id the first 128 bits of
 * {@code HMAC-SHA256(K_id, i)} shaped as a version-4 UUID.
 *
 * <p>Threads: {@link #produced(long)} is called by the module's owner (the agent loop), the rest by
 * any thread (the key supply's); the counters are guarded by {@code this}.
 */
final class DerivedKeyStream implements KeyBlockSource {

    private final String qkdlId;
    private final int blockBits;
    private final SecretKeySpec keyKey;
    private final byte[] idKey;
    /** Blocks produced by the channel in this run, and blocks below that the consumer already had. */
    private long producedThisRun;
    private long base;

    DerivedKeyStream(KeySeed seed, String qkdlId, int blockBits) {
        if (blockBits <= 0 || blockBits % 8 != 0) {
            throw new IllegalArgumentException("key_block_bits: must be a positive multiple of 8, got " + blockBits);
        }
        this.qkdlId = qkdlId;
        this.blockBits = blockBits;
        this.keyKey = new SecretKeySpec(hmac(seed.bytes(), ("qkdnf/key/" + qkdlId).getBytes(StandardCharsets.UTF_8)),
                "AES");
        this.idKey = hmac(seed.bytes(), ("qkdnf/block-id/" + qkdlId).getBytes(StandardCharsets.UTF_8));
    }

    /** The channel has produced {@code blocks} blocks on this link in this run (never lowered). */
    synchronized void produced(long blocks) {
        producedThisRun = Math.max(producedThisRun, blocks);
    }

    @Override
    public synchronized void advanceTo(long index) {
        if (base + producedThisRun < index) {
            base = index - producedThisRun;
        }
    }

    @Override
    public String qkdlId() {
        return qkdlId;
    }

    @Override
    public int blockBits() {
        return blockBits;
    }

    @Override
    public synchronized long producedBlocks() {
        return base + producedThisRun;
    }

    @Override
    public KeyBlock block(long index) {
        long have = producedBlocks();
        if (index < 0 || index >= have) {
            throw new NoSuchElementException("block " + index + " of link " + qkdlId + " not produced (have "
                    + have + ")");
        }
        return new KeyBlock(blockId(index), index, keyBits(index));
    }

    private UUID blockId(long index) {
        byte[] h = hmac(idKey, ByteBuffer.allocate(8).putLong(index).array());
        h[6] = (byte) ((h[6] & 0x0f) | 0x40);
        h[8] = (byte) ((h[8] & 0x3f) | 0x80);
        ByteBuffer b = ByteBuffer.wrap(h, 0, 16);
        return new UUID(b.getLong(), b.getLong());
    }

    private byte[] keyBits(long index) {
        byte[] iv = ByteBuffer.allocate(16).putLong(index).putLong(0).array();
        try {
            Cipher aes = Cipher.getInstance("AES/CTR/NoPadding");
            aes.init(Cipher.ENCRYPT_MODE, keyKey, new IvParameterSpec(iv));
            return aes.doFinal(new byte[blockBits / 8]);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-256-CTR unavailable", e);
        }
    }

    private static byte[] hmac(byte[] key, byte[] message) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(new SecretKeySpec(key, "HmacSHA256"));
            return mac.doFinal(message);
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("HMAC-SHA256 unavailable", e);
        }
    }
}

package org.qkdnf.common.atrest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

import javax.crypto.AEADBadTagException;
import javax.crypto.Mac;
import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;

/**
 * Opens an MVStore file whose key material is sealed with AES-256-GCM: checks the key against the
 * file's key check, and makes a new nonce epoch durable before anything is sealed (which is what
 * keeps {@link AtRestCipher} nonces unique across restarts and crashes). Automatic commits are off:
 * callers commit at their own operation boundaries.
 *
 * <p>The sealing key is not the key file's key but one derived from it for this file alone
 * (HMAC-SHA256 of a random 32-byte salt the file gets at creation): epochs and counters are per
 * file, so two files sealing under one key would repeat nonces, which breaks GCM. With the
 * derivation, stores may share a key file (a key manager's pools and service keys do).
 *
 * <p>The file is read through {@link DirectReadFileStore}.
 */
public final class SealedStoreFile {

    private static final String EPOCH = "epoch";
    private static final String SALT = "keySalt";
    private static final byte[] DERIVATION_LABEL = "qkdnf-at-rest-file-key-v1".getBytes(StandardCharsets.US_ASCII);
    private static final String KEY_CHECK = "keyCheck";
    private static final byte[] KEY_CHECK_AAD = "qkdnf-store-key-check-v1".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] KEY_CHECK_TEXT = "this store's key".getBytes(StandardCharsets.US_ASCII);

    /** An open file and the cipher for this opening's epoch. */
    public static final class Opened {
        private final MVStore mv;
        private final AtRestCipher cipher;
        private final int epoch;

        Opened(MVStore mv, AtRestCipher cipher, int epoch) {
            this.mv = mv;
            this.cipher = cipher;
            this.epoch = epoch;
        }

        public MVStore mv() {
            return mv;
        }

        public AtRestCipher cipher() {
            return cipher;
        }

        /** This opening's nonce epoch (for logs). */
        public int epoch() {
            return epoch;
        }
    }

    /** Cache segments when a cache size is given: few, so that each holds pages of several MiB. */
    static final int CACHE_SEGMENTS = 2;

    private SealedStoreFile() {
    }

    /**
     * @param what names the store in error messages ("key pool store", "device journal", ...)
     * @throws IOException naming the file when it is locked, damaged, or sealed under another key
     */
    public static Opened open(Path file, SecretKey key, String what) throws IOException {
        return open(file, key, what, 0);
    }

    /**
     * Like {@link #open(Path, SecretKey, String)}, with a page cache of {@code cacheMegabytes}
     * (0: MVStore's default, 16 MB) in {@link #CACHE_SEGMENTS} segments.
     *
     * <p>Why: MVStore splits its cache into 16 segments by default and never caches a page larger
     * than a segment's share, so with the default 16 MB no page above ~1 MB is ever cached. A
     * store of multi-MiB values (a key pool's blocks) then reads every page from the file again at
     * each access, allocating it twice (file buffer and value). The cached pages hold what the
     * file holds (sealed records), nothing in plaintext.
     */
    public static Opened open(Path file, SecretKey key, String what, int cacheMegabytes) throws IOException {
        if (cacheMegabytes < 0) {
            throw new IllegalArgumentException("cacheMegabytes: must be 0 or more, got " + cacheMegabytes);
        }
        MVStore mv = openFile(file, what, cacheMegabytes);
        try {
            key = fileKey(mv, key);
            int epoch = startEpoch(mv, key, file, what);
            AtRestCipher cipher = new AtRestCipher(key, epoch);
            MVMap<String, byte[]> storeMap = mv.openMap("store");
            if (storeMap.get(KEY_CHECK) == null) {
                storeMap.put(KEY_CHECK, cipher.seal(KEY_CHECK_AAD, KEY_CHECK_TEXT, 0, KEY_CHECK_TEXT.length));
                mv.commit();
                mv.sync();
            }
            return new Opened(mv, cipher, epoch);
        } catch (IOException | RuntimeException e) {
            mv.closeImmediately();
            throw e instanceof IOException ? (IOException) e
                    : new IOException(what + " " + file + ": " + e.getMessage(), e);
        }
    }

    /** The MVStore on {@code file}, read through a {@link DirectReadFileStore}, automatic commits off. */
    private static MVStore openFile(Path file, String what, int cacheMegabytes) throws IOException {
        Map<String, Object> fileConfig = new HashMap<>();
        if (cacheMegabytes > 0) {
            fileConfig.put("cacheSize", cacheMegabytes);
            fileConfig.put("cacheConcurrency", CACHE_SEGMENTS);
        }
        DirectReadFileStore fileStore = new DirectReadFileStore(fileConfig);
        try {
            fileStore.open(file.toString(), false, null);
        } catch (MVStoreException e) {
            throw cannotOpen(file, what, e);
        }
        try {
            return new MVStore.Builder()
                    .adoptFileStore(fileStore)  // closed with the store
                    .autoCommitDisabled()       // commits only at the caller's operation boundaries
                    .autoCommitBufferSize(0)    // also no commit forced from inside a put
                    .open();
        } catch (MVStoreException e) {
            // MVStore does not close a file store it failed to start on, and it holds the file's lock
            fileStore.close();
            throw cannotOpen(file, what, e);
        }
    }

    private static IOException cannotOpen(Path file, String what, MVStoreException e) {
        return new IOException("cannot open " + what + " " + file + ": " + e.getMessage(), e);
    }

    /** The key this file seals under, derived from the key file's key and the file's own salt. */
    private static SecretKey fileKey(MVStore mv, SecretKey master) throws IOException {
        MVMap<String, byte[]> store = mv.openMap("store");
        byte[] salt = store.get(SALT);
        if (salt == null) {
            salt = new byte[32];
            new SecureRandom().nextBytes(salt);
            store.put(SALT, salt);
            mv.commit();
            mv.sync();
        }
        byte[] derived = null;
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(master);
            mac.update(DERIVATION_LABEL);
            derived = mac.doFinal(salt);
            return new SecretKeySpec(derived, "AES");
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot derive the file's key: " + e.getMessage(), e);
        } finally {
            if (derived != null) {
                Arrays.fill(derived, (byte) 0);
            }
        }
    }

    private static int startEpoch(MVStore mv, SecretKey key, Path file, String what) throws IOException {
        MVMap<String, byte[]> store = mv.openMap("store");
        byte[] check = store.get(KEY_CHECK);
        if (check != null) {
            try {
                new AtRestCipher(key, 0).open(KEY_CHECK_AAD, check, 0, check.length);
            } catch (AEADBadTagException e) {
                throw new IOException(what + " " + file + ": the key file's key is not this store's key", e);
            }
        }
        byte[] last = store.get(EPOCH);
        long epoch = last == null ? 1 : (ByteBuffer.wrap(last).getInt() & 0xFFFF_FFFFL) + 1;
        if (epoch > 0xFFFF_FFFFL) {
            throw new IOException(what + " " + file + ": nonce epochs exhausted; re-key the store");
        }
        store.put(EPOCH, ByteBuffer.allocate(4).putInt((int) epoch).array());
        mv.commit();
        mv.sync();
        return (int) epoch;
    }
}

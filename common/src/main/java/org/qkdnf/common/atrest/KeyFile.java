package org.qkdnf.common.atrest;

import java.io.IOException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributeView;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.Set;

import javax.crypto.SecretKey;
import javax.crypto.spec.SecretKeySpec;

/**
 * The file holding a store's AES-256 key for data at rest: exactly 32 raw bytes, readable by its owner only.
 *
 * <p>Why so strict: whoever reads this file and the store file reads the key material in it, so a file that
 * group or others may read is refused rather than used. On a file system without POSIX
 * permissions the mode cannot be checked; that is said in the error only when the size is wrong.
 */
public final class KeyFile {

    /** AES-256. */
    public static final int KEY_BYTES = 32;

    private static final Set<PosixFilePermission> FORBIDDEN = EnumSet.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE, PosixFilePermission.GROUP_EXECUTE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE, PosixFilePermission.OTHERS_EXECUTE);

    private KeyFile() {
    }

    /**
     * Creates a new key file with a fresh random key and mode 0600 (set when the file is created,
     * so the key is never readable by others, not even briefly).
     *
     * @throws FileAlreadyExistsException when the file exists: an existing key is never overwritten
     */
    public static void create(Path keyFile) throws IOException {
        byte[] key = new byte[KEY_BYTES];
        new SecureRandom().nextBytes(key);
        try {
            if (Files.getFileStore(keyFile.toAbsolutePath().getParent()).supportsFileAttributeView(PosixFileAttributeView.class)) {
                Files.createFile(keyFile, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
            } else {
                Files.createFile(keyFile);
            }
            Files.write(keyFile, key);
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }

    /**
     * Reads the key.
     *
     * @throws IOException naming the file when it is missing, readable by group or others, or not
     *         exactly {@value #KEY_BYTES} bytes
     */
    public static SecretKey read(Path keyFile) throws IOException {
        if (!Files.isRegularFile(keyFile)) {
            throw new IOException("at-rest key file " + keyFile + ": not a regular file");
        }
        PosixFileAttributeView posix = Files.getFileAttributeView(keyFile, PosixFileAttributeView.class);
        if (posix != null) {
            Set<PosixFilePermission> perms = posix.readAttributes().permissions();
            perms.retainAll(FORBIDDEN);
            if (!perms.isEmpty()) {
                throw new IOException("at-rest key file " + keyFile + ": readable or writable by group/others ("
                        + PosixFilePermissions.toString(posix.readAttributes().permissions()) + "); chmod 600 it");
            }
        }
        byte[] key = Files.readAllBytes(keyFile);
        try {
            if (key.length != KEY_BYTES) {
                throw new IOException("at-rest key file " + keyFile + ": must hold exactly " + KEY_BYTES
                        + " raw bytes, has " + key.length);
            }
            return new SecretKeySpec(key, "AES");
        } finally {
            Arrays.fill(key, (byte) 0);
        }
    }
}

package org.qkdnf.kms.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * Key taken from a pool: the range it came from and its bytes. The caller owns the bytes; call
 * {@link #erase()} once they have been used so the key does not linger on the heap.
 * {@link #toString()} shows the range only. Not thread-safe: hand it to one thread at a time.
 */
public final class ReservedKey {

    private final KeyRange range;
    private final byte[] key;

    public ReservedKey(KeyRange range, byte[] key) {
        this.range = Objects.requireNonNull(range, "range");
        this.key = Objects.requireNonNull(key, "key");
        if (key.length * 8L != range.lengthBits()) {
            throw new IllegalArgumentException("key: " + key.length * 8L + " bits for a range of " + range.lengthBits());
        }
    }

    public KeyRange range() {
        return range;
    }

    /** The key bytes themselves, not a copy: {@link #erase()} clears this array. */
    public byte[] key() {
        return key;
    }

    /** Overwrites the key bytes with zeros. */
    public void erase() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "ReservedKey[" + range + "]";
    }
}

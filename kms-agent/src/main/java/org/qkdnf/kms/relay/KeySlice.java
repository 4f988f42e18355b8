package org.qkdnf.kms.relay;

import java.util.Objects;

/**
 * A view of {@code length} bytes of pool key at {@code offset} in {@code bytes}, lent to a
 * message's work for the time of one call: the bytes belong to a reservation, are read in place
 * (a 1 MiB pad is not copied) and are erased when the call returns. Code that erases them as it
 * reads them (in the same pass as the XOR, while they are in the CPU cache) says so with
 * {@link #markErased()}, and the lender then skips its own pass over them.
 *
 * <p>Threads: lent to one thread at a time (the message's work), which alone reads and marks it.
 */
final class KeySlice {

    private final byte[] bytes;
    private final int offset;
    private final int length;
    private boolean erased;

    KeySlice(byte[] bytes, int offset, int length) {
        Objects.checkFromIndexSize(offset, length, bytes.length);
        this.bytes = bytes;
        this.offset = offset;
        this.length = length;
    }

    byte[] bytes() {
        return bytes;
    }

    int offset() {
        return offset;
    }

    int length() {
        return length;
    }

    /** Records that every byte of the slice is zero now. */
    void markErased() {
        erased = true;
    }

    /** Zeroes the slice unless {@link #markErased()} said it is zero already. */
    void erase() {
        if (!erased) {
            java.util.Arrays.fill(bytes, offset, offset + length, (byte) 0);
            erased = true;
        }
    }
}

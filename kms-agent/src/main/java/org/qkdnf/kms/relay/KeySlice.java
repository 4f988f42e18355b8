package org.qkdnf.kms.relay;

import java.util.Objects;

/**
 * A view of {@code length} bytes of pool key at {@code offset} in {@code bytes}, lent to a
 * message's work for the time of one call: the bytes belong to a reservation, are read in place
 * (a 1 MiB pad is not copied) and are erased by the lender when the call returns.
 */
record KeySlice(byte[] bytes, int offset, int length) {

    KeySlice {
        Objects.checkFromIndexSize(offset, length, bytes.length);
    }
}

package org.qkdnf.kms.relay;

import java.util.Arrays;
import java.util.Objects;

/**
 * A key of this node's lane of a route's first link that the last node of the route accepted
 * ({@link RelayNode#relayLaneKey}): the receipt, and the key itself, which the last node's
 * {@link RelayedKeySink} got too.
 *
 * <p>The caller owns {@link #key()}: keep it, then erase it (or call {@link #erase()}). Not thread-safe.
 */
public final class LaneKeyReceipt {

    private final RelayReceipt receipt;
    private final byte[] key;

    LaneKeyReceipt(RelayReceipt receipt, byte[] key) {
        this.receipt = Objects.requireNonNull(receipt, "receipt");
        this.key = Objects.requireNonNull(key, "key");
    }

    public RelayReceipt receipt() {
        return receipt;
    }

    /** The key, {@code receipt().keyBits() / 8} bytes; the array itself, not a copy. */
    public byte[] key() {
        return key;
    }

    /** Zeroes the key. */
    public void erase() {
        Arrays.fill(key, (byte) 0);
    }

    @Override
    public String toString() {
        return "LaneKeyReceipt[" + receipt + "]";  // never the key
    }
}

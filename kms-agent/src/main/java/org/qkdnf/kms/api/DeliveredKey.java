package org.qkdnf.kms.api;

import java.util.UUID;

/**
 * One key as handed to an SAE. {@link #toString()} never shows the key.
 *
 * @param keyId the key's UUID, the same at master and slave
 * @param key   the key bits
 */
public record DeliveredKey(UUID keyId, byte[] key) {

    @Override
    public String toString() {
        return "DeliveredKey[" + keyId + ", " + key.length * 8 + " bits]";
    }
}

package org.qkdnf.agent.etsi014;

import java.util.UUID;

/**
 * One key as a device's ETSI GS QKD 014 interface returned it. {@link #toString()} never shows the key.
 *
 * @param keyId the 014 {@code key_ID}
 * @param key   the key bytes (decoded from the standard's Base64)
 */
public record DeviceKey(UUID keyId, byte[] key) {

    @Override
    public String toString() {
        return "DeviceKey[" + keyId + ", " + key.length * 8 + " bits]";
    }
}

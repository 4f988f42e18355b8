package org.qkdnf.agent.etsi014;

/**
 * The members of an ETSI GS QKD 014 Status (clause 6.1) the driver uses.
 *
 * @param keySizeBits       {@code key_size}: default key size, bits
 * @param storedKeyCount    {@code stored_key_count}
 * @param maxKeyPerRequest  {@code max_key_per_request}
 * @param maxKeySizeBits    {@code max_key_size}
 * @param minKeySizeBits    {@code min_key_size}
 */
public record DeviceStatus(int keySizeBits, long storedKeyCount, int maxKeyPerRequest, int maxKeySizeBits,
                           int minKeySizeBits) {
}

package org.qkdnf.kms.relay;

import java.util.UUID;

/**
 * A relayed key that the last node of its route accepted.
 *
 * @param serviceId the key service
 * @param sequence  the key's relay sequence number within the service
 * @param hops      number of hops it travelled
 * @param keyBits   its length, bits
 */
public record RelayReceipt(UUID serviceId, long sequence, int hops, long keyBits) {
}

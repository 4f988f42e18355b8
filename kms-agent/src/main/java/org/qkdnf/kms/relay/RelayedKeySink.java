package org.qkdnf.kms.relay;

import java.util.UUID;

/**
 * Where a relayed key goes at the last node of its route: the key-service layer, which files it
 * under the service and later hands it to the SAE (ETSI GS QKD 014).
 *
 * <p>Called on the gRPC thread of the incoming stream, once per key, in the order of
 * {@code sequence} for one service (each sequence number at most once). The relay acknowledges
 * the key to the originating node only after this returns, so an implementation that keeps keys
 * across restarts should make the key durable before returning. Throwing refuses the key: a
 * {@link RelayException} chooses the status code reported to the origin; any other exception is
 * reported as {@code INTERNAL}. The key's link key is consumed either way (it is never reused).
 */
@FunctionalInterface
public interface RelayedKeySink {

    /**
     * Accepts a relayed key.
     *
     * @param serviceId the key service the key belongs to
     * @param sequence  its relay sequence number within the service, from 1, increasing
     * @param key       the key; the sink owns the array from now on (the relay keeps no reference)
     */
    void accept(UUID serviceId, long sequence, byte[] key);
}

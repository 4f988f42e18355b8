package org.qkdnf.kms.api;

import java.util.List;
import java.util.UUID;

/**
 * What a KME offers its SAEs (ETSI GS QKD 014): key shared between a master SAE and a slave SAE,
 * each key under a UUID key id that goes to the master once and to the slave once. The caller's
 * SAE id is authenticated by the transport (its TLS client certificate); this service decides
 * whether that SAE may have the key.
 *
 * <p>Implementations are thread-safe; calls may block on durable storage.
 */
public interface KeyDeliveryService {

    /** Status of the key supply from {@code masterSaeId} to {@code slaveSaeId}, as this KME sees it. */
    KeySupplyStatus status(String masterSaeId, String slaveSaeId) throws KeyDeliveryException;

    /**
     * New keys for the master SAE, each shared with the slave SAE. {@code number} and
     * {@code sizeBits} are within the bounds {@link #status} advertises (the caller checks).
     */
    List<DeliveredKey> encKeys(String masterSaeId, String slaveSaeId, int number, int sizeBits)
            throws KeyDeliveryException;

    /** The keys with these ids for the slave SAE, which the master SAE obtained with {@link #encKeys}. */
    List<DeliveredKey> decKeys(String slaveSaeId, String masterSaeId, List<UUID> keyIds) throws KeyDeliveryException;
}

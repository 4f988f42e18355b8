package org.qkdnf.kms.rest;

import java.util.List;

import org.qkdnf.kms.api.DeliveredKey;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeySupplyStatus;

/**
 * The answers a key manager can give from memory alone. The ETSI 014 server computes them on the
 * network thread that read the request, saving the hand-off to a blocking thread and back; every
 * other request still goes to {@link org.qkdnf.kms.api.KeyDeliveryService} on a blocking thread.
 * Implementations must never wait for disk, network or a lock held across either.
 */
public interface InlineKeyDelivery {

    /** As {@link org.qkdnf.kms.api.KeyDeliveryService#status}. */
    KeySupplyStatus status(String masterSaeId, String slaveSaeId) throws KeyDeliveryException;

    /**
     * Keys already prepared in memory, each handed out once, or {@code null} when too few are ready
     * (nothing is taken; the request then goes to {@code encKeys} on a blocking thread).
     */
    List<DeliveredKey> readyEncKeys(String masterSaeId, String slaveSaeId, int number, int sizeBits)
            throws KeyDeliveryException;
}

package org.qkdnf.kms.rest;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import org.qkdnf.kms.api.DeliveredKey;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyDeliveryService;
import org.qkdnf.kms.api.KeySupplyStatus;

/**
 * A test backend for the REST layer: one master/slave pair, keys drawn from SecureRandom, each
 * key id handed to the master once and to the slave once. The real backend is the KME's key
 * service; this one only lets the HTTP layer be tested on its own.
 */
final class MemoryKeyDelivery implements KeyDeliveryService {

    static final String MASTER = "sae-master";
    static final String SLAVE = "sae-slave";

    private final SecureRandom random = new SecureRandom();
    private final Map<UUID, byte[]> awaitingSlave = new HashMap<>();
    volatile boolean unavailable;

    @Override
    public KeySupplyStatus status(String master, String slave) throws KeyDeliveryException {
        check(master, slave);
        return new KeySupplyStatus("kme-1", "kme-2", master, slave, 256, 1000, 100_000, 128, 8192, 64, 0);
    }

    @Override
    public synchronized List<DeliveredKey> encKeys(String master, String slave, int number, int sizeBits)
            throws KeyDeliveryException {
        check(master, slave);
        List<DeliveredKey> out = new ArrayList<>();
        for (int i = 0; i < number; i++) {
            byte[] k = new byte[sizeBits / 8];
            random.nextBytes(k);
            UUID id = UUID.randomUUID();
            awaitingSlave.put(id, k);
            out.add(new DeliveredKey(id, k.clone())); // the server erases what it was handed
        }
        return out;
    }

    @Override
    public synchronized List<DeliveredKey> decKeys(String slave, String master, List<UUID> keyIds)
            throws KeyDeliveryException {
        check(master, slave);
        List<DeliveredKey> out = new ArrayList<>();
        for (UUID id : keyIds) {
            if (!awaitingSlave.containsKey(id)) {
                throw new KeyDeliveryException(KeyDeliveryException.Reason.BAD_REQUEST,
                        "key_ID " + id + ": unknown or already delivered");
            }
        }
        for (UUID id : keyIds) {
            out.add(new DeliveredKey(id, awaitingSlave.remove(id)));
        }
        return out;
    }

    private void check(String master, String slave) throws KeyDeliveryException {
        if (unavailable) {
            throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAVAILABLE, "key service down");
        }
        if (!MASTER.equals(master) || !SLAVE.equals(slave)) {
            throw new KeyDeliveryException(KeyDeliveryException.Reason.UNAUTHORIZED,
                    "no key service between " + master + " and " + slave);
        }
    }
}

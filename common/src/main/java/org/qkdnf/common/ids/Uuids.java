package org.qkdnf.common.ids;

import java.util.UUID;

/**
 * The suite's id rule: ETSI GS QKD 015 ids (qkdn_id, qkdi_id, qkdl_id), request, service, key and
 * block ids are UUIDs in canonical text form, any version, either case. {@code UUID.fromString}
 * is too lenient for a wire check (it takes "1-2-3-4-5"), hence this.
 */
public final class Uuids {

    private Uuids() {
    }

    public static boolean isUuid(String s) {
        if (s == null || s.length() != 36) {
            return false;
        }
        // Hand-rolled: it runs on hot paths (every performance entry carries a qkdl_id).
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    /** @throws IllegalArgumentException naming {@code field} unless {@code s} is a UUID */
    public static String require(String s, String field) {
        if (!isUuid(s)) {
            throw new IllegalArgumentException(field + ": must be a UUID, got " + (s == null ? "nothing" : "'" + s + "'"));
        }
        return s;
    }

    /**
     * A new UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random bits
     * from {@link UUID#randomUUID()}'s SecureRandom. Why for ids the controller mints (services,
     * routes): they are keys of B-tree stores committed hundreds of times a second, and random
     * (version 4) keys make every commit rewrite leaves all over a map, while ids that grow with
     * time keep a burst of new records, and their updates, in the few rightmost leaves.
     */
    public static UUID timeOrdered() {
        UUID random = UUID.randomUUID();
        return version7(System.currentTimeMillis(), random.getMostSignificantBits(), random.getLeastSignificantBits());
    }

    /**
     * The version 7 UUID of {@code unixMillis} (its low 48 bits) and 74 random bits: the low 12 of
     * {@code randomA} and the low 62 of {@code randomB}; for callers that draw random bytes in bulk.
     */
    public static UUID version7(long unixMillis, long randomA, long randomB) {
        long msb = (unixMillis << 16) | 0x7000L | (randomA & 0x0FFFL);
        long lsb = (randomB & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;  // RFC 4122 variant
        return new UUID(msb, lsb);
    }
}

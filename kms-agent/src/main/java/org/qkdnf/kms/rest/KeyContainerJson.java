package org.qkdnf.kms.rest;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.qkdnf.kms.api.DeliveredKey;

/**
 * Writes the ETSI GS QKD 014 key container (clause 6.3), the answer to every enc_keys and
 * dec_keys, without the general JSON mapper: its members are fixed and its strings (UUIDs,
 * base64) never need escaping, so the exact size is known first and the body is written into one
 * array. Same bytes as Jackson writes for {@link Etsi014Json.KeyContainer} (the test compares
 * them), at a fraction of the cost on the hottest path of the key manager.
 */
final class KeyContainerJson {

    private static final byte[] OPEN = ascii("{\"keys\":[");
    private static final byte[] KEY_ID = ascii("{\"key_ID\":\"");
    private static final byte[] KEY = ascii("\",\"key\":\"");
    private static final byte[] END_KEY = ascii("\"}");
    private static final byte[] CLOSE = ascii("]}");
    private static final byte[] HEX = ascii("0123456789abcdef");
    private static final int UUID_CHARS = 36;

    private KeyContainerJson() {
    }

    static byte[] write(List<DeliveredKey> keys) {
        int size = OPEN.length + CLOSE.length + Math.max(0, keys.size() - 1);
        for (DeliveredKey k : keys) {
            size += KEY_ID.length + UUID_CHARS + KEY.length + base64Length(k.key().length) + END_KEY.length;
        }
        byte[] out = new byte[size];
        int p = put(out, 0, OPEN);
        Base64.Encoder b64 = Base64.getEncoder();
        for (int i = 0; i < keys.size(); i++) {
            DeliveredKey k = keys.get(i);
            if (i > 0) {
                out[p++] = ',';
            }
            p = put(out, p, KEY_ID);
            p = putUuid(out, p, k.keyId());
            p = put(out, p, KEY);
            byte[] encoded = b64.encode(k.key());
            p = put(out, p, encoded);
            Arrays.fill(encoded, (byte) 0);
            p = put(out, p, END_KEY);
        }
        put(out, p, CLOSE);
        return out;
    }

    private static int base64Length(int bytes) {
        return (bytes + 2) / 3 * 4;
    }

    private static int put(byte[] out, int p, byte[] what) {
        System.arraycopy(what, 0, out, p, what.length);
        return p + what.length;
    }

    /** The canonical lower-case form, as {@link UUID#toString()}, without the intermediate string. */
    private static int putUuid(byte[] out, int p, UUID id) {
        p = putHex(out, p, id.getMostSignificantBits() >>> 32, 8);
        out[p++] = '-';
        p = putHex(out, p, id.getMostSignificantBits() >>> 16, 4);
        out[p++] = '-';
        p = putHex(out, p, id.getMostSignificantBits(), 4);
        out[p++] = '-';
        p = putHex(out, p, id.getLeastSignificantBits() >>> 48, 4);
        out[p++] = '-';
        return putHex(out, p, id.getLeastSignificantBits(), 12);
    }

    /** The low {@code digits} hex digits of {@code v}. */
    private static int putHex(byte[] out, int p, long v, int digits) {
        for (int i = digits - 1; i >= 0; i--) {
            out[p + i] = HEX[(int) (v & 0xf)];
            v >>>= 4;
        }
        return p + digits;
    }

    private static byte[] ascii(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }
}

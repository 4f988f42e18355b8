package org.qkdnf.bench.etsi014;

import java.io.IOException;
import java.util.Base64;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.qkdnf.common.ids.Uuids;

/**
 * Checks an ETSI GS QKD 014 key container holding one key (the answer to every request the driver
 * sends): valid JSON of that shape, a key_ID that is a UUID, a key that is base64 of the
 * size asked. The compact form the key managers write is checked character by character; any other
 * layout goes through a JSON parser, so a server that formats differently is not failed for it.
 * Stateless, so any thread.
 */
final class KeyContainerCheck {

    /** The one key of a container: its id and its base64 text. */
    record Key(String keyId, String keyBase64) {
    }

    private static final String OPEN = "{\"keys\":[{\"key_ID\":\"";
    private static final String KEY = "\",\"key\":\"";
    private static final String CLOSE = "\"}]}";
    private static final int UUID_CHARS = 36;
    private static final ObjectMapper JSON = new ObjectMapper();

    private KeyContainerCheck() {
    }

    /**
     * The container's key.
     *
     * @throws IllegalArgumentException naming what is wrong
     */
    static Key check(String body, int keyBytes) {
        Key k = compact(body);
        if (k == null) {
            k = parsed(body);
        }
        if (!Uuids.isUuid(k.keyId())) {
            throw new IllegalArgumentException("key_ID: not a UUID: " + k.keyId());
        }
        int decoded;
        try {
            decoded = Base64.getDecoder().decode(k.keyBase64()).length;
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("key: not base64");
        }
        if (decoded != keyBytes) {
            throw new IllegalArgumentException("key: " + decoded + " bytes, " + keyBytes + " asked");
        }
        return k;
    }

    /** The key of the compact form, or null when the body has another layout. */
    private static Key compact(String body) {
        int keyAt = OPEN.length() + UUID_CHARS;
        if (!body.startsWith(OPEN) || !body.startsWith(KEY, keyAt) || !body.endsWith(CLOSE)) {
            return null;
        }
        String key = body.substring(keyAt + KEY.length(), body.length() - CLOSE.length());
        if (key.indexOf('"') >= 0) {
            return null;
        }
        return new Key(body.substring(OPEN.length(), keyAt), key);
    }

    private static Key parsed(String body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (IOException e) {
            throw new IllegalArgumentException("body: not JSON");
        }
        JsonNode keys = root == null ? null : root.get("keys");
        if (keys == null || !keys.isArray() || keys.size() != 1) {
            throw new IllegalArgumentException("keys: one key expected");
        }
        JsonNode id = keys.get(0).get("key_ID");
        JsonNode key = keys.get(0).get("key");
        if (id == null || !id.isTextual() || key == null || !key.isTextual()) {
            throw new IllegalArgumentException("keys[0]: key_ID and key must be strings");
        }
        return new Key(id.asText(), key.asText());
    }
}

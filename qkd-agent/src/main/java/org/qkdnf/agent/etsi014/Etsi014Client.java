package org.qkdnf.agent.etsi014;

import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.common.tls.TlsFiles;

/**
 * An SAE's client of a QKD device's ETSI GS QKD 014 V1.1.1 interface: {@code status} and
 * {@code enc_keys} as the master SAE, {@code dec_keys} as the slave SAE, over HTTPS with the SAE's
 * client certificate, with the standard's JSON member names exactly.
 *
 * <p>Every call is one HTTP request with a timeout of its own; the client does not retry (the
 * caller decides: see {@link Etsi014Exception.Kind}). Members a vendor adds (extensions, unknown
 * members) are ignored. Key material exists only in the returned {@link DeviceKey}s: it is never
 * logged, and no exception message contains it.
 *
 * <p>Thread-safe.
 */
public final class Etsi014Client {

    /** Per-request timeout: a device that has not answered by then counts as unreachable. */
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(10);
    static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final int MAX_ERROR_MESSAGE = 200;

    private static final ObjectMapper JSON = JsonMapper.builder()
            .disable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .build();

    private final String keysBase;
    private final HttpClient http;

    /**
     * @param baseUrl the device's 014 address, {@code https://host:port} (with or without the
     *                trailing {@code /api/v1/keys})
     * @param http    a client whose SSL context presents this SAE's certificate
     */
    public Etsi014Client(URI baseUrl, HttpClient http) {
        String b = baseUrl.toString();
        while (b.endsWith("/")) {
            b = b.substring(0, b.length() - 1);
        }
        this.keysBase = b.endsWith("/api/v1/keys") ? b + "/" : b + "/api/v1/keys/";
        this.http = http;
    }

    /** A client presenting the SAE certificate in {@code tls} and trusting only its CA. */
    public static Etsi014Client create(URI baseUrl, TlsFiles tls) throws IOException {
        try {
            return new Etsi014Client(baseUrl, HttpClient.newBuilder()
                    .sslContext(JdkTls.clientContext(tls))
                    .version(HttpClient.Version.HTTP_1_1)
                    .connectTimeout(CONNECT_TIMEOUT)
                    .build());
        } catch (java.security.GeneralSecurityException e) {
            throw new IOException("cannot load the device TLS material " + tls + ": " + e.getMessage(), e);
        }
    }

    /** {@code GET status} for the pair (this SAE as master, {@code slaveSaeId}). */
    public DeviceStatus status(String slaveSaeId) throws Etsi014Exception {
        HttpRequest request = request(slaveSaeId, "status").GET().build();
        StatusJson s = parse(send(request), StatusJson.class, "status");
        if (s.keySize == null || s.maxKeyPerRequest == null) {
            throw protocol("status: key_size and max_key_per_request are required");
        }
        int maxSize = s.maxKeySize == null ? s.keySize : s.maxKeySize;
        int minSize = s.minKeySize == null ? s.keySize : s.minKeySize;
        return new DeviceStatus(s.keySize, s.storedKeyCount == null ? 0 : s.storedKeyCount, s.maxKeyPerRequest,
                maxSize, minSize);
    }

    /**
     * {@code POST enc_keys}: {@code number} new keys of {@code sizeBits} each for the pair (this SAE
     * as master, {@code slaveSaeId}).
     *
     * @throws Etsi014Exception of kind PROTOCOL if the device returns another number of keys, keys of
     *                          another size, or a key_ID that is not a UUID
     */
    public List<DeviceKey> encKeys(String slaveSaeId, int number, int sizeBits) throws Etsi014Exception {
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(new KeyRequestJson(number, sizeBits));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = request(slaveSaeId, "enc_keys").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        List<DeviceKey> keys = keys(send(request), "enc_keys");
        if (keys.size() != number) {
            throw protocol("enc_keys: asked for " + number + " keys, got " + keys.size());
        }
        for (DeviceKey k : keys) {
            if (k.key().length * 8 != sizeBits) {
                throw protocol("enc_keys: key " + k.keyId() + " has " + k.key().length * 8 + " bits, asked for "
                        + sizeBits);
            }
        }
        return keys;
    }

    /**
     * {@code POST dec_keys}: the keys named by {@code keyIds} for the pair ({@code masterSaeId}, this
     * SAE as slave), in that order.
     *
     * @throws Etsi014Exception of kind PROTOCOL if the device returns other key_IDs than asked for
     */
    public List<DeviceKey> decKeys(String masterSaeId, List<UUID> keyIds) throws Etsi014Exception {
        List<KeyIdJson> ids = new ArrayList<>(keyIds.size());
        keyIds.forEach(id -> ids.add(new KeyIdJson(id.toString())));
        byte[] body;
        try {
            body = JSON.writeValueAsBytes(new KeyIdsJson(ids));
        } catch (JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
        HttpRequest request = request(masterSaeId, "dec_keys").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build();
        List<DeviceKey> keys = keys(send(request), "dec_keys");
        if (keys.size() != keyIds.size()) {
            throw protocol("dec_keys: asked for " + keyIds.size() + " keys, got " + keys.size());
        }
        for (int i = 0; i < keys.size(); i++) {
            if (!keys.get(i).keyId().equals(keyIds.get(i))) {
                throw protocol("dec_keys: key " + i + " is " + keys.get(i).keyId() + ", asked for " + keyIds.get(i));
            }
        }
        return keys;
    }

    private HttpRequest.Builder request(String saeId, String operation) {
        return HttpRequest.newBuilder(URI.create(keysBase + URLEncoder.encode(saeId, StandardCharsets.UTF_8)
                .replace("+", "%20").replace("%3A", ":") + "/" + operation)).timeout(REQUEST_TIMEOUT).header("Accept", "application/json");
    }

    private HttpResponse<byte[]> send(HttpRequest request) throws Etsi014Exception {
        HttpResponse<byte[]> response;
        try {
            response = http.send(request, HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new Etsi014Exception(Etsi014Exception.Kind.UNREACHABLE, 0, operation(request) + ": no answer ("
                    + e.getClass().getSimpleName() + (e.getMessage() == null ? "" : ": " + e.getMessage()) + ")", e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new Etsi014Exception(Etsi014Exception.Kind.UNREACHABLE, 0, operation(request) + ": interrupted", e);
        }
        int code = response.statusCode();
        if (code == 200) {
            return response;
        }
        String message = operation(request) + ": HTTP " + code + errorMessage(response.body());
        switch (code) {
            case 400:
                throw new Etsi014Exception(Etsi014Exception.Kind.BAD_REQUEST, code, message, null);
            case 401:
                throw new Etsi014Exception(Etsi014Exception.Kind.UNAUTHORIZED, code, message, null);
            case 503:
                throw new Etsi014Exception(Etsi014Exception.Kind.UNAVAILABLE, code, message, null);
            default:
                throw new Etsi014Exception(Etsi014Exception.Kind.UNREACHABLE, code, message, null);
        }
    }

    private static String operation(HttpRequest request) {
        String path = request.uri().getPath();
        return path.substring(path.lastIndexOf('/') + 1);
    }

    /** The 014 error body's {@code message}, shortened; error bodies carry no key. */
    private static String errorMessage(byte[] body) {
        try {
            ErrorJson e = JSON.readValue(body, ErrorJson.class);
            if (e == null || e.message == null) {
                return "";
            }
            String m = e.message.length() > MAX_ERROR_MESSAGE ? e.message.substring(0, MAX_ERROR_MESSAGE) + "..."
                    : e.message;
            return " (" + m.replaceAll("[\\r\\n]", " ") + ")";
        } catch (IOException | RuntimeException x) {
            return "";
        }
    }

    private static List<DeviceKey> keys(HttpResponse<byte[]> response, String operation) throws Etsi014Exception {
        KeyContainerJson c = parse(response, KeyContainerJson.class, operation);
        if (c.keys == null) {
            throw protocol(operation + ": the key container has no keys member");
        }
        List<DeviceKey> out = new ArrayList<>(c.keys.size());
        for (int i = 0; i < c.keys.size(); i++) {
            KeyJson k = c.keys.get(i);
            if (k == null || k.keyId == null || k.key == null) {
                throw protocol(operation + ": keys[" + i + "]: key_ID and key are required");
            }
            UUID id;
            try {
                id = UUID.fromString(k.keyId);
            } catch (IllegalArgumentException e) {
                throw protocol(operation + ": keys[" + i + "].key_ID: not a UUID");
            }
            byte[] key;
            try {
                key = Base64.getDecoder().decode(k.key);
            } catch (IllegalArgumentException e) {
                // Deliberately without the value: it is key material.
                throw protocol(operation + ": keys[" + i + "].key: not Base64");
            }
            out.add(new DeviceKey(id, key));
        }
        return out;
    }

    private static <T> T parse(HttpResponse<byte[]> response, Class<T> type, String operation)
            throws Etsi014Exception {
        try {
            T value = JSON.readValue(response.body(), type);
            if (value == null) {
                throw protocol(operation + ": empty answer");
            }
            return value;
        } catch (IOException e) {
            // Jackson's message may quote the input, which can be key: name the position only.
            String where = e instanceof JsonProcessingException && ((JsonProcessingException) e).getLocation() != null
                    ? " at column " + ((JsonProcessingException) e).getLocation().getColumnNr() : "";
            throw protocol(operation + ": the answer is not ETSI 014 JSON" + where);
        }
    }

    private static Etsi014Exception protocol(String message) {
        return new Etsi014Exception(Etsi014Exception.Kind.PROTOCOL, 200, message, null);
    }

    // The standard's JSON (ETSI GS QKD 014 V1.1.1 clause 6), member names exactly as written there.

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record KeyRequestJson(@JsonProperty("number") Integer number, @JsonProperty("size") Integer size) {
    }

    record KeyIdsJson(@JsonProperty("key_IDs") List<KeyIdJson> keyIds) {
    }

    record KeyIdJson(@JsonProperty("key_ID") String keyId) {
    }

    static final class StatusJson {
        @JsonProperty("key_size") Integer keySize;
        @JsonProperty("stored_key_count") Long storedKeyCount;
        @JsonProperty("max_key_per_request") Integer maxKeyPerRequest;
        @JsonProperty("max_key_size") Integer maxKeySize;
        @JsonProperty("min_key_size") Integer minKeySize;
    }

    static final class KeyContainerJson {
        @JsonProperty("keys") List<KeyJson> keys;
    }

    static final class KeyJson {
        @JsonProperty("key_ID") String keyId;
        @JsonProperty("key") String key;

        @Override
        public String toString() {
            return "Key[" + keyId + "]";
        }
    }

    static final class ErrorJson {
        @JsonProperty("message") String message;
        @JsonProperty("details") List<Map<String, Object>> details;
    }
}

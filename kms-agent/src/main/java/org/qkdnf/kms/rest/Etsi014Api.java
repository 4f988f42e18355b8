package org.qkdnf.kms.rest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.common.json.JsonFieldPath;
import org.qkdnf.kms.api.DeliveredKey;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeyDeliveryService;
import org.qkdnf.kms.api.KeySupplyStatus;

/**
 * The three ETSI GS QKD 014 V1.1.1 methods over HTTP, free of any transport: a request (method,
 * path, query, body, the caller's authenticated SAE id) in, a status code and a JSON body out.
 *
 * <ul>
 *   <li>{@code GET /api/v1/keys/{slave_SAE_ID}/status} — caller is the master SAE;</li>
 *   <li>{@code GET|POST /api/v1/keys/{slave_SAE_ID}/enc_keys} — caller is the master SAE;</li>
 *   <li>{@code GET|POST /api/v1/keys/{master_SAE_ID}/dec_keys} — caller is the slave SAE.</li>
 * </ul>
 *
 * <p>Sizes must lie within the status's bounds and be multiples of 8; {@code number} at most
 * {@code max_key_per_request}; {@code additional_slave_SAE_IDs} is refused while the status says
 * {@code max_SAE_ID_count} 0; any {@code extension_mandatory} is refused (none is supported, and
 * 014 requires refusing what cannot be honoured); optional extensions are accepted and ignored.
 *
 * <p>Thread-safe. {@link #handle} blocks while the {@link KeyDeliveryService} does;
 * {@link #handleInline} never blocks: it answers what needs no disk or network (errors, status,
 * keys ready in memory, through {@link InlineKeyDelivery}) and returns {@code null} for the rest.
 */
public final class Etsi014Api {

    static final String PREFIX = "/api/v1/keys/";
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            // "size": "256" is a string, not a number: refuse it rather than guess.
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .build();

    /** What {@link #route} returns when, called inline, it would have to block. */
    private static final Object MUST_BLOCK = new Object();

    private final KeyDeliveryService keys;
    /** {@code null}: nothing is answered inline except errors found before the key service is asked. */
    private final InlineKeyDelivery inline;

    public Etsi014Api(KeyDeliveryService keys) {
        this(keys, null);
    }

    public Etsi014Api(KeyDeliveryService keys, InlineKeyDelivery inline) {
        this.keys = keys;
        this.inline = inline;
    }

    /** An answer: HTTP status and the JSON body bytes. */
    public record Response(int status, byte[] body) {
    }

    /**
     * @param method   HTTP method
     * @param path     the path, without the query
     * @param query    decoded query parameters (each name with all its values)
     * @param body     the request body (empty for GET)
     * @param callerSae the caller's SAE id from its certificate, or {@code null} if it has none
     */
    public Response handle(String method, String path, Map<String, List<String>> query, byte[] body,
                           String callerSae) {
        return answer(method, path, query, body, callerSae, false);
    }

    /** As {@link #handle}, but never blocks: {@code null} when the request needs a blocking thread. */
    public Response handleInline(String method, String path, Map<String, List<String>> query, byte[] body,
                                 String callerSae) {
        return answer(method, path, query, body, callerSae, true);
    }

    private Response answer(String method, String path, Map<String, List<String>> query, byte[] body,
                            String callerSae, boolean inlineOnly) {
        try {
            Object answer = route(method, path, query, body, callerSae, inlineOnly);
            if (answer == MUST_BLOCK) {
                return null;
            }
            return new Response(200, answer instanceof byte[] ? (byte[]) answer : JSON.writeValueAsBytes(answer));
        } catch (Etsi014Exception e) {
            return error(e.httpStatus, e.getMessage(), e.details);
        } catch (KeyDeliveryException e) {
            return error(e.reason().httpStatus(), e.getMessage(), List.of());
        } catch (JsonProcessingException e) {
            return error(503, "cannot encode the response", List.of());
        }
    }

    private Object route(String method, String path, Map<String, List<String>> query, byte[] body, String caller,
                         boolean inlineOnly) throws Etsi014Exception, KeyDeliveryException {
        if (!path.startsWith(PREFIX)) {
            throw new Etsi014Exception(404, "not found", List.of(Map.of("path", path)));
        }
        String[] parts = path.substring(PREFIX.length()).split("/", -1);
        if (parts.length != 2 || parts[0].isEmpty()) {
            throw new Etsi014Exception(404, "not found", List.of(Map.of("path", path)));
        }
        String saeInPath = parts[0];
        String operation = parts[1];
        boolean get = "GET".equals(method);
        boolean post = "POST".equals(method);
        if (!operation.equals("status") && !operation.equals("enc_keys") && !operation.equals("dec_keys")) {
            throw new Etsi014Exception(404, "not found", List.of(Map.of("path", path)));
        }
        if (!get && !(post && !operation.equals("status"))) {
            throw new Etsi014Exception(405, "method not allowed", List.of(Map.of("method", method)));
        }
        if (caller == null) {
            throw new Etsi014Exception(401, "unauthorized",
                    List.of(Map.of("client_certificate", "no SAE identity (CN, OU sae, O) in the client certificate")));
        }
        if (inlineOnly && (inline == null || operation.equals("dec_keys"))) {
            return MUST_BLOCK;  // dec_keys erases the key durably before answering
        }
        switch (operation) {
            case "status":
                return status(inlineOnly ? inline.status(caller, saeInPath) : keys.status(caller, saeInPath));
            case "enc_keys":
                return encKeys(caller, saeInPath, get ? fromQuery(query) : parse(body, Etsi014Json.KeyRequest.class,
                        new Etsi014Json.KeyRequest(null, null, null, null, null)), inlineOnly);
            default:
                return decKeys(caller, saeInPath, get ? idsFromQuery(query) : idsFromBody(body));
        }
    }

    private static Etsi014Json.Status status(KeySupplyStatus s) {
        return new Etsi014Json.Status(s.sourceKmeId(), s.targetKmeId(), s.masterSaeId(), s.slaveSaeId(),
                s.keySizeBits(), s.storedKeyCount(), s.maxKeyCount(), s.maxKeyPerRequest(), s.maxKeySizeBits(),
                s.minKeySizeBits(), s.maxSaeIdCount(), null);
    }

    private Object encKeys(String master, String slave, Etsi014Json.KeyRequest r, boolean inlineOnly)
            throws Etsi014Exception, KeyDeliveryException {
        KeySupplyStatus s = inlineOnly ? inline.status(master, slave) : keys.status(master, slave);
        int number = r.number() == null ? 1 : r.number();
        int size = r.size() == null ? s.keySizeBits() : r.size();
        if (number < 1 || number > s.maxKeyPerRequest()) {
            throw Etsi014Exception.badRequest("number", "must be between 1 and max_key_per_request "
                    + s.maxKeyPerRequest() + ", got " + number);
        }
        if (size < s.minKeySizeBits() || size > s.maxKeySizeBits()) {
            throw Etsi014Exception.badRequest("size", "must be between min_key_size " + s.minKeySizeBits()
                    + " and max_key_size " + s.maxKeySizeBits() + ", got " + size);
        }
        if (size % 8 != 0) {
            throw Etsi014Exception.badRequest("size", "must be a multiple of 8, got " + size);
        }
        List<String> extra = r.additionalSlaveSaeIds();
        if (extra != null && !extra.isEmpty() && extra.size() > s.maxSaeIdCount()) {
            throw Etsi014Exception.badRequest("additional_slave_SAE_IDs", s.maxSaeIdCount() == 0
                    ? "multicast is not supported (max_SAE_ID_count 0)"
                    : "at most max_SAE_ID_count " + s.maxSaeIdCount() + " allowed, got " + extra.size());
        }
        if (r.extensionMandatory() != null && !r.extensionMandatory().isEmpty()) {
            throw Etsi014Exception.badRequest("extension_mandatory", "no extension is supported, got "
                    + r.extensionMandatory().stream().flatMap(m -> m.keySet().stream()).toList());
        }
        if (inlineOnly) {
            List<DeliveredKey> ready = inline.readyEncKeys(master, slave, number, size);
            return ready == null ? MUST_BLOCK : container(ready);
        }
        return container(keys.encKeys(master, slave, number, size));
    }

    private byte[] decKeys(String slave, String master, List<UUID> ids)
            throws KeyDeliveryException {
        return container(keys.decKeys(slave, master, ids));
    }

    /** The key container's JSON; the keys' bytes are erased once written. */
    private static byte[] container(List<DeliveredKey> delivered) {
        byte[] json = KeyContainerJson.write(delivered);
        for (DeliveredKey k : delivered) {
            java.util.Arrays.fill(k.key(), (byte) 0);
        }
        return json;
    }

    private static Etsi014Json.KeyRequest fromQuery(Map<String, List<String>> query) throws Etsi014Exception {
        for (String name : query.keySet()) {
            if (!name.equals("number") && !name.equals("size")) {
                throw Etsi014Exception.badRequest(name, "unknown query parameter (enc_keys takes number and size)");
            }
        }
        return new Etsi014Json.KeyRequest(intParam(query, "number"), intParam(query, "size"), null, null, null);
    }

    private static Integer intParam(Map<String, List<String>> query, String name) throws Etsi014Exception {
        List<String> v = query.get(name);
        if (v == null) {
            return null;
        }
        if (v.size() != 1) {
            throw Etsi014Exception.badRequest(name, "given " + v.size() + " times");
        }
        try {
            return Integer.valueOf(v.get(0));
        } catch (NumberFormatException e) {
            throw Etsi014Exception.badRequest(name, "must be an integer, got '" + v.get(0) + "'");
        }
    }

    private static List<UUID> idsFromQuery(Map<String, List<String>> query) throws Etsi014Exception {
        for (String name : query.keySet()) {
            if (!name.equals("key_ID")) {
                throw Etsi014Exception.badRequest(name, "unknown query parameter (dec_keys takes key_ID)");
            }
        }
        List<String> v = query.get("key_ID");
        if (v == null || v.size() != 1) {
            throw Etsi014Exception.badRequest("key_ID", "exactly one key_ID required with GET; POST takes several");
        }
        return List.of(uuid(v.get(0), "key_ID"));
    }

    private static List<UUID> idsFromBody(byte[] body) throws Etsi014Exception {
        Etsi014Json.KeyIds r = parse(body, Etsi014Json.KeyIds.class, null);
        if (r == null || r.keyIds() == null || r.keyIds().isEmpty()) {
            throw Etsi014Exception.badRequest("key_IDs", "required, at least one");
        }
        List<UUID> ids = new ArrayList<>(r.keyIds().size());
        for (int i = 0; i < r.keyIds().size(); i++) {
            Etsi014Json.KeyIdEntry e = r.keyIds().get(i);
            String field = "key_IDs[" + i + "].key_ID";
            if (e == null || e.keyId() == null) {
                throw Etsi014Exception.badRequest(field, "required");
            }
            UUID id = uuid(e.keyId(), field);
            if (ids.contains(id)) {
                throw Etsi014Exception.badRequest(field, "duplicate " + id);
            }
            ids.add(id);
        }
        return ids;
    }

    private static UUID uuid(String s, String field) throws Etsi014Exception {
        if (!Uuids.isUuid(s)) {
            throw Etsi014Exception.badRequest(field, "must be a UUID, got '" + s + "'");
        }
        return UUID.fromString(s);
    }

    private static <T> T parse(byte[] body, Class<T> type, T ifEmpty) throws Etsi014Exception {
        if (body.length == 0) {
            if (ifEmpty == null) {
                throw Etsi014Exception.badRequest("body", "a JSON object is required");
            }
            return ifEmpty;
        }
        try {
            T value = JSON.readValue(body, type);
            if (value == null) {
                throw Etsi014Exception.badRequest("body", "a JSON object is required");
            }
            return value;
        } catch (JsonMappingException e) {
            String field = e.getPath().isEmpty() ? "body" : JsonFieldPath.of(e);
            throw Etsi014Exception.badRequest(field, e.getOriginalMessage().replaceAll(" \\(class [^)]*\\)", "")
                    .replaceAll("\\s+at \\[Source.*", ""));
        } catch (IOException e) {
            throw Etsi014Exception.badRequest("body", "not valid JSON");
        }
    }


    private static Response error(int status, String message, List<Map<String, Object>> details) {
        try {
            return new Response(status, JSON.writeValueAsBytes(new Etsi014Json.Error(message, details)));
        } catch (JsonProcessingException e) {
            return new Response(status, ("{\"message\":\"" + status + "\"}").getBytes(java.nio.charset.StandardCharsets.UTF_8));
        }
    }
}

package org.qkdnf.controller.app.codec;

import java.time.Instant;
import java.util.Collection;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.Timestamp;

import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * JSON of key services and routes (REST and {@code -j} CLI output) and of a key-service spec (REST
 * input). Field names are the Nc protobuf's ({@code master_sae_id}, {@code min_bandwidth_bps}, ...);
 * enum values lose their prefix ({@code PROTECTION_RESTORATION} is {@code "RESTORATION"}).
 *
 * <p>Decoding checks shapes and types only, naming the field ({@link IllegalArgumentException},
 * which the REST layer answers 400); what the values mean (ids known, rates in range) is the key
 * service manager's to check, with the same field names. Unknown fields are refused, so a typo
 * never becomes a silent default. Stateless; thread-safe.
 */
public final class KeyServiceJson {

    private static final Set<String> SPEC_FIELDS = Set.of("master_sae_id", "master_qkdn_id", "slave_sae_id",
            "slave_qkdn_id", "qos", "protection", "constraints");
    private static final Set<String> QOS_FIELDS = Set.of("min_bandwidth_bps", "max_bandwidth_bps", "priority", "ttl_s",
            "expires_at");
    private static final Set<String> CONSTRAINT_FIELDS = Set.of("max_hops", "avoid_qkdn_ids", "via_qkdn_ids");

    private KeyServiceJson() {
    }

    /** {@code {"services": [...]}} */
    public static ObjectNode services(ObjectMapper mapper, Collection<KeyService> services) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode array = root.putArray("services");
        for (KeyService s : services) {
            array.add(service(mapper, s));
        }
        return root;
    }

    public static ObjectNode service(ObjectMapper mapper, KeyService s) {
        ObjectNode o = mapper.createObjectNode()
                .put("service_id", s.getServiceId())
                .put("state", TopologyJson.name(s.getState(), "KEY_SERVICE_STATE_"))
                .put("reason", s.getReason());
        o.set("spec", spec(mapper, s.getSpec()));
        o.set("routes", routes(mapper, s.getRoutesList()));
        o.put("reroutes", Integer.toUnsignedLong(s.getReroutes()));
        o.put("updated_at", s.hasUpdatedAt() ? instant(s.getUpdatedAt()) : null);
        return o;
    }

    public static ObjectNode spec(ObjectMapper mapper, KeyServiceSpec spec) {
        ObjectNode o = mapper.createObjectNode()
                .put("master_sae_id", spec.getMasterSaeId())
                .put("master_qkdn_id", spec.getMasterQkdnId())
                .put("slave_sae_id", spec.getSlaveSaeId())
                .put("slave_qkdn_id", spec.getSlaveQkdnId())
                .put("protection", TopologyJson.name(spec.getProtection(), "PROTECTION_"));
        AppQos q = spec.getQos();
        ObjectNode qos = o.putObject("qos")
                .put("min_bandwidth_bps", q.getMinBandwidthBps())
                .put("max_bandwidth_bps", q.getMaxBandwidthBps())
                .put("priority", Integer.toUnsignedLong(q.getPriority()));
        if (q.hasExpiresAt()) {
            qos.put("expires_at", instant(q.getExpiresAt()));
        }
        PathConstraints c = spec.getConstraints();
        ObjectNode constraints = o.putObject("constraints").put("max_hops", Integer.toUnsignedLong(c.getMaxHops()));
        c.getAvoidQkdnIdsList().forEach(constraints.putArray("avoid_qkdn_ids")::add);
        c.getViaQkdnIdsList().forEach(constraints.putArray("via_qkdn_ids")::add);
        return o;
    }

    /** {@code {"routes": [...]}} */
    public static ObjectNode routesObject(ObjectMapper mapper, Collection<ServiceRoute> routes) {
        ObjectNode root = mapper.createObjectNode();
        root.set("routes", routes(mapper, routes));
        return root;
    }

    private static ArrayNode routes(ObjectMapper mapper, Collection<ServiceRoute> routes) {
        ArrayNode array = mapper.createArrayNode();
        for (ServiceRoute r : routes) {
            ObjectNode o = array.addObject().put("route_id", r.getRouteId()).put("installed", r.getInstalled());
            r.getQkdnIdsList().forEach(o.putArray("qkdn_ids")::add);
            r.getQkdlIdsList().forEach(o.putArray("qkdl_ids")::add);
        }
        return array;
    }

    private static String instant(Timestamp t) {
        return Instant.ofEpochSecond(t.getSeconds(), t.getNanos()).toString();
    }

    // ------------------------------------------------------------------ decoding

    /** A spec from {@code node} (field names prefixed with {@code spec.} in errors). */
    public static KeyServiceSpec decodeSpec(JsonNode node) {
        checkObject("spec", node, SPEC_FIELDS);
        KeyServiceSpec.Builder b = KeyServiceSpec.newBuilder()
                .setMasterSaeId(text(node, "spec.master_sae_id", "master_sae_id", true))
                .setMasterQkdnId(text(node, "spec.master_qkdn_id", "master_qkdn_id", true))
                .setSlaveSaeId(text(node, "spec.slave_sae_id", "slave_sae_id", true))
                .setSlaveQkdnId(text(node, "spec.slave_qkdn_id", "slave_qkdn_id", true))
                .setProtection(protection("spec.protection", text(node, "spec.protection", "protection", true)));
        if (!node.has("qos")) {
            throw new IllegalArgumentException("spec.qos: required");
        }
        b.setQos(decodeQos("spec.qos", node.get("qos")));
        if (node.has("constraints")) {
            b.setConstraints(decodeConstraints("spec.constraints", node.get("constraints")));
        }
        return b.build();
    }

    public static AppQos decodeQos(String field, JsonNode node) {
        checkObject(field, node, QOS_FIELDS);
        AppQos.Builder q = AppQos.newBuilder()
                .setMinBandwidthBps(number(node, field, "min_bandwidth_bps", Long.MAX_VALUE, true))
                .setMaxBandwidthBps(number(node, field, "max_bandwidth_bps", Long.MAX_VALUE, false))
                .setPriority((int) number(node, field, "priority", Integer.MAX_VALUE, false))
                .setTtlS((int) number(node, field, "ttl_s", Integer.MAX_VALUE, false));
        if (node.has("expires_at")) {
            String text = text(node, field + ".expires_at", "expires_at", true);
            try {
                Instant at = Instant.parse(text);
                q.setExpiresAt(Timestamp.newBuilder().setSeconds(at.getEpochSecond()).setNanos(at.getNano()));
            } catch (java.time.format.DateTimeParseException e) {
                throw new IllegalArgumentException(field + ".expires_at: not an ISO-8601 instant (2030-01-01T00:00:00Z)");
            }
        }
        return q.build();
    }

    public static PathConstraints decodeConstraints(String field, JsonNode node) {
        checkObject(field, node, CONSTRAINT_FIELDS);
        PathConstraints.Builder c = PathConstraints.newBuilder()
                .setMaxHops((int) number(node, field, "max_hops", Integer.MAX_VALUE, false));
        c.addAllAvoidQkdnIds(texts(node, field, "avoid_qkdn_ids"));
        c.addAllViaQkdnIds(texts(node, field, "via_qkdn_ids"));
        return c.build();
    }

    /** {@code NONE}, {@code ONE_PLUS_ONE} or {@code RESTORATION} (the prefix is optional). */
    public static Protection protection(String field, String text) {
        String name = text.startsWith("PROTECTION_") ? text : "PROTECTION_" + text;
        try {
            Protection p = Protection.valueOf(name);
            if (p != Protection.PROTECTION_UNSPECIFIED) {
                return p;
            }
        } catch (IllegalArgumentException e) {
            // named below
        }
        throw new IllegalArgumentException(field + ": must be NONE, ONE_PLUS_ONE or RESTORATION, got '" + text + "'");
    }

    private static void checkObject(String field, JsonNode node, Set<String> allowed) {
        if (node == null || !node.isObject()) {
            throw new IllegalArgumentException(field + ": must be a JSON object");
        }
        for (Iterator<Map.Entry<String, JsonNode>> it = node.fields(); it.hasNext(); ) {
            String name = it.next().getKey();
            if (!allowed.contains(name)) {
                throw new IllegalArgumentException(field + "." + name + ": unknown field");
            }
        }
    }

    private static String text(JsonNode node, String field, String name, boolean required) {
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(field + ": required");
            }
            return "";
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + ": must be a string");
        }
        return v.asText();
    }

    private static long number(JsonNode node, String parent, String name, long max, boolean required) {
        JsonNode v = node.get(name);
        String field = parent + "." + name;
        if (v == null || v.isNull()) {
            if (required) {
                throw new IllegalArgumentException(field + ": required");
            }
            return 0;
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < 0 || v.asLong() > max) {
            throw new IllegalArgumentException(field + ": must be a whole number in 0.." + max);
        }
        return v.asLong();
    }

    private static java.util.List<String> texts(JsonNode node, String parent, String name) {
        java.util.List<String> out = new java.util.ArrayList<>();
        JsonNode v = node.get(name);
        if (v == null || v.isNull()) {
            return out;
        }
        if (!v.isArray()) {
            throw new IllegalArgumentException(parent + "." + name + ": must be an array of strings");
        }
        for (int i = 0; i < v.size(); i++) {
            if (!v.get(i).isTextual()) {
                throw new IllegalArgumentException(parent + "." + name + "[" + i + "]: must be a string");
            }
            out.add(v.get(i).asText());
        }
        return out;
    }
}

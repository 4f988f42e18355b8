package org.qkdnf.agent.etsi014;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;

/**
 * A pair of ETSI GS QKD 014 "devices" in one process over plain HTTP (the client is HTTP-agnostic;
 * TLS is exercised against the kms-agent in integration-tests): enc_keys at the master device
 * makes fresh random keys and hands them to the slave device, dec_keys at the slave device gives
 * each once. Requests are recorded; an override can answer instead.
 */
final class FakeDevice implements AutoCloseable {

    static final ObjectMapper JSON = new ObjectMapper();

    final HttpServer server;
    final List<String> requests = java.util.Collections.synchronizedList(new ArrayList<>());
    final List<String> bodies = java.util.Collections.synchronizedList(new ArrayList<>());
    final Map<UUID, byte[]> forSlave;
    final AtomicInteger keysHandedOut = new AtomicInteger();
    volatile Function<String, Answer> override;
    volatile int maxKeyPerRequest = 16;
    private final SecureRandom random = new SecureRandom();

    record Answer(int status, String body) {
    }

    FakeDevice() throws IOException {
        this(java.util.Collections.synchronizedMap(new LinkedHashMap<>()));
    }

    /** @param shared where enc_keys puts keys and dec_keys takes them: share it between a pair */
    FakeDevice(Map<UUID, byte[]> shared) throws IOException {
        forSlave = shared;
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/", this::handle);
        server.start();
    }

    URI url() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    private void handle(HttpExchange x) throws IOException {
        String path = x.getRequestURI().getPath();
        String body = new String(x.getRequestBody().readAllBytes(), StandardCharsets.UTF_8);
        requests.add(x.getRequestMethod() + " " + path);
        bodies.add(body);
        Answer a = override == null ? null : override.apply(path);
        if (a == null) {
            a = answer(path, body);
        }
        byte[] out = a.body().getBytes(StandardCharsets.UTF_8);
        x.getResponseHeaders().add("Content-Type", "application/json");
        x.sendResponseHeaders(a.status(), out.length);
        x.getResponseBody().write(out);
        x.close();
    }

    private Answer answer(String path, String body) throws IOException {
        if (path.endsWith("/status")) {
            return new Answer(200, "{\"source_KME_ID\":\"kme-a\",\"target_KME_ID\":\"kme-b\",\"master_SAE_ID\":\"sae-a\","
                    + "\"slave_SAE_ID\":\"sae-b\",\"key_size\":256,\"stored_key_count\":100000,"
                    + "\"max_key_count\":100000,\"max_key_per_request\":" + maxKeyPerRequest + ",\"max_key_size\":8192,"
                    + "\"min_key_size\":64,\"max_SAE_ID_count\":0,\"status_extension\":{\"vendor\":\"x\"}}");
        }
        if (path.endsWith("/enc_keys")) {
            JsonNode r = JSON.readTree(body);
            int number = r.get("number").asInt();
            int size = r.get("size").asInt();
            StringBuilder b = new StringBuilder("{\"keys\":[");
            for (int i = 0; i < number; i++) {
                byte[] key = new byte[size / 8];
                random.nextBytes(key);
                UUID id = UUID.randomUUID();
                forSlave.put(id, key);
                b.append(i == 0 ? "" : ",").append("{\"key_ID\":\"").append(id).append("\",\"key\":\"")
                        .append(Base64.getEncoder().encodeToString(key)).append("\"}");
            }
            keysHandedOut.addAndGet(number);
            return new Answer(200, b.append("]}").toString());
        }
        if (path.endsWith("/dec_keys")) {
            JsonNode ids = JSON.readTree(body).get("key_IDs");
            StringBuilder b = new StringBuilder("{\"keys\":[");
            for (int i = 0; i < ids.size(); i++) {
                UUID id = UUID.fromString(ids.get(i).get("key_ID").asText());
                byte[] key = forSlave.remove(id);
                if (key == null) {
                    return new Answer(400, "{\"message\":\"key_ID " + id + " unknown\"}");
                }
                b.append(i == 0 ? "" : ",").append("{\"key_ID\":\"").append(id).append("\",\"key\":\"")
                        .append(Base64.getEncoder().encodeToString(key)).append("\"}");
            }
            return new Answer(200, b.append("]}").toString());
        }
        return new Answer(404, "{\"message\":\"not found\"}");
    }

    @Override
    public void close() {
        server.stop(0);
    }
}

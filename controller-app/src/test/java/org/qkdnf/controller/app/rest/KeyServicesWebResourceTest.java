package org.qkdnf.controller.app.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.A;
import static org.qkdnf.controller.app.keyservice.KeyServiceCluster.D;

import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import org.glassfish.jersey.jdkhttp.JdkHttpServerFactory;
import org.glassfish.jersey.server.ResourceConfig;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.onlab.osgi.ServiceDirectory;
import org.onlab.osgi.TestServiceDirectory;
import org.onlab.rest.AuthorizationFilter;
import org.onlab.rest.BaseResource;
import org.qkdnf.controller.app.keyservice.KeyServiceCluster;
import org.qkdnf.controller.app.keyservice.KeyServicesService;

/**
 * The key-service REST resources over Jersey on loopback, served by the follower of a two-instance
 * {@link KeyServiceCluster} (so every change is forwarded to the leader).
 */
class KeyServicesWebResourceTest {

    private static KeyServiceCluster cluster;
    private static HttpServer server;
    private static URI base;
    private static ServiceDirectory previous;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        cluster = KeyServiceCluster.start(2);
        Field f = BaseResource.class.getDeclaredField("services");
        f.setAccessible(true);
        previous = (ServiceDirectory) f.get(null);
        f.set(null, new TestServiceDirectory().add(KeyServicesService.class, cluster.instance(1).services));
        AuthorizationFilter.disableForTests();
        server = JdkHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/onos/qkdnf/"),
                ResourceConfig.forApplication(new QkdControllerWebApplication()));
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/onos/qkdnf/");
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop(0);
        Field f = BaseResource.class.getDeclaredField("services");
        f.setAccessible(true);
        f.set(null, previous);
        cluster.close();
    }

    static String spec(String master, long bps) {
        return "{\"master_sae_id\":\"sae-alice\",\"master_qkdn_id\":\"" + master + "\",\"slave_sae_id\":\"sae-bob\","
                + "\"slave_qkdn_id\":\"" + D + "\",\"protection\":\"RESTORATION\","
                + "\"qos\":{\"min_bandwidth_bps\":" + bps + ",\"priority\":1}}";
    }

    private HttpResponse<String> send(String method, String path, String body) throws Exception {
        HttpRequest.Builder b = HttpRequest.newBuilder(base.resolve(path)).header("Content-Type", "application/json");
        b.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
        return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> r) throws Exception {
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    void createListReadAndDeleteAKeyService() throws Exception {
        HttpResponse<String> created = send("POST", "services", spec(A, 2_000));
        assertThat(created.statusCode()).as(created.body()).isEqualTo(201);
        JsonNode s = json(created);
        String id = s.get("service_id").asText();
        assertThat(s.get("state").asText()).isEqualTo("ACTIVE");
        assertThat(s.get("spec").get("protection").asText()).isEqualTo("RESTORATION");
        assertThat(s.get("routes").get(0).get("qkdn_ids")).hasSize(3);
        assertThat(created.headers().firstValue("Location")).hasValueSatisfying(l -> assertThat(l).endsWith(id));

        JsonNode listed = json(send("GET", "services", null)).get("services");
        assertThat(listed).hasSize(1);
        assertThat(json(send("GET", "services/" + id, null)).get("service_id").asText()).isEqualTo(id);

        assertThat(send("DELETE", "services/" + id, null).statusCode()).isEqualTo(204);
        HttpResponse<String> gone = send("DELETE", "services/" + id, null);
        assertThat(gone.statusCode()).isEqualTo(404);
        assertThat(json(gone).get("message").asText()).contains("service_id");
        assertThat(send("GET", "services/" + id, null).statusCode()).isEqualTo(404);
    }

    @Test
    void pathsAreComputedWithoutReserving() throws Exception {
        HttpResponse<String> r = send("POST", "paths", spec(A, 6_000));
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        assertThat(json(r).get("routes").get(0).get("qkdl_ids")).hasSize(2);
        assertThat(json(send("GET", "services", null)).get("services")).isEmpty();
    }

    @Test
    void badRequestsGetTheHttpCodeAndTheFieldNamed() throws Exception {
        HttpResponse<String> zero = send("POST", "services", spec(A, 0));
        assertThat(zero.statusCode()).isEqualTo(400);
        assertThat(json(zero).get("message").asText()).startsWith("spec.qos.min_bandwidth_bps");

        HttpResponse<String> unknownField = send("POST", "services", spec(A, 1).replace("\"priority\"", "\"prio\""));
        assertThat(unknownField.statusCode()).isEqualTo(400);
        assertThat(json(unknownField).get("message").asText()).isEqualTo("spec.qos.prio: unknown field");

        HttpResponse<String> notJson = send("POST", "services", "{not json");
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(json(notJson).get("message").asText()).startsWith("body");

        HttpResponse<String> unknownNode = send("POST", "services", spec("f0000000-0000-4000-8000-00000000000f", 1));
        assertThat(unknownNode.statusCode()).isEqualTo(404);
        assertThat(json(unknownNode).get("message").asText()).startsWith("spec.master_qkdn_id");

        // More than both sides of the square carry together (the core splits a rate over several routes).
        HttpResponse<String> tooMuch = send("POST", "services", spec(A, 2 * KeyServiceCluster.ADMISSIBLE + 1));
        assertThat(tooMuch.statusCode()).isEqualTo(409);
        assertThat(json(tooMuch).get("message").asText()).startsWith("no route from");

        assertThat(send("GET", "services/not-a-uuid", null).statusCode()).isEqualTo(400);
    }
}

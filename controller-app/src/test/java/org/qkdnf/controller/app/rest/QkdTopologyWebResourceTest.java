package org.qkdnf.controller.app.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.qkdnf.controller.app.testing.SampleTopology.A;
import static org.qkdnf.controller.app.testing.SampleTopology.AB;
import static org.qkdnf.controller.app.testing.SampleTopology.B;
import static org.qkdnf.controller.app.testing.SampleTopology.BC;
import static org.qkdnf.controller.app.testing.SampleTopology.C;

import java.io.IOException;
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
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.app.testing.SampleTopology;
import org.qkdnf.controller.impl.QkdTopologyManager;

/**
 * The app's JAX-RS application, with ONOS's mappers and JSON writer, served over HTTP on loopback
 * by Jersey; the topology service comes from a test service directory, as ONOS's REST tests do.
 */
class QkdTopologyWebResourceTest {

    private static final String UNKNOWN = "d0000000-0000-4000-8000-00000000000d";
    private static QkdTopologyManager topology;
    private static HttpServer server;
    private static URI base;
    private static ServiceDirectory previous;
    private final HttpClient http = HttpClient.newHttpClient();
    private final ObjectMapper mapper = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        topology = SampleTopology.create();
        previous = swapServices(new TestServiceDirectory().add(QkdTopologyService.class, topology));
        // Authentication is the web container's (Karaf realm) in ONOS; not under test here.
        AuthorizationFilter.disableForTests();
        server = JdkHttpServerFactory.createHttpServer(URI.create("http://127.0.0.1:0/onos/qkdnf/"),
                ResourceConfig.forApplication(new QkdControllerWebApplication()));
        base = URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/onos/qkdnf/");
    }

    @AfterAll
    static void stop() throws Exception {
        server.stop(0);
        swapServices(previous);
        topology.close();
    }

    private static ServiceDirectory swapServices(ServiceDirectory directory) throws ReflectiveOperationException {
        Field f = BaseResource.class.getDeclaredField("services");
        f.setAccessible(true);
        ServiceDirectory old = (ServiceDirectory) f.get(null);
        f.set(null, directory);
        return old;
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    private JsonNode json(HttpResponse<String> r) throws IOException {
        return mapper.readTree(r.body());
    }

    @Test
    void listsNodesInIdOrder() throws Exception {
        HttpResponse<String> r = get("nodes");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(t -> assertThat(t).startsWith("application/json"));
        JsonNode nodes = json(r).get("nodes");
        assertThat(nodes).hasSize(3);
        assertThat(nodes.get(0).get("qkdn_id").asText()).isEqualTo(A);
        assertThat(nodes.get(2).get("qkdn_id").asText()).isEqualTo(C);
        assertThat(nodes.get(2).get("agent_connected").asBoolean()).isFalse();
    }

    @Test
    void getsOneNode() throws Exception {
        HttpResponse<String> r = get("nodes/" + B);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode b = json(r);
        assertThat(b.get("qkdn_id").asText()).isEqualTo(B);
        assertThat(b.get("qkdn_status").asText()).isEqualTo("OPERATING");
        assertThat(b.get("qkd_links")).hasSize(2);
    }

    @Test
    void anUnknownNodeIs404() throws Exception {
        HttpResponse<String> r = get("nodes/" + UNKNOWN);
        assertThat(r.statusCode()).isEqualTo(404);
        assertThat(json(r).get("code").asInt()).isEqualTo(404);
        assertThat(json(r).get("message").asText()).contains(UNKNOWN);
    }

    @Test
    void aMalformedNodeIdIs400() throws Exception {
        HttpResponse<String> r = get("nodes/not-a-uuid");
        assertThat(r.statusCode()).isEqualTo(400);
        assertThat(json(r).get("message").asText()).startsWith("qkdnId: not a UUID");
    }

    @Test
    void listsLinks() throws Exception {
        HttpResponse<String> r = get("links");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode links = json(r).get("links");
        assertThat(links).hasSize(2);
        assertThat(links.get(0).get("qkdl_id").asText()).isEqualTo(AB);
        assertThat(links.get(1).get("qkdl_id").asText()).isEqualTo(BC);
        assertThat(links.get(1).get("qkdl_status").asText()).isEqualTo("PENDING");
    }

    @Test
    void getsOneLinkWithFigures() throws Exception {
        HttpResponse<String> r = get("links/" + AB);
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode ab = json(r);
        assertThat(ab.get("degraded").asBoolean()).isTrue();
        assertThat(ab.get("performance").get("qber").asDouble()).isEqualTo(0.09);
        assertThat(ab.get("ends").get(0).get("qkdn_id").asText()).isEqualTo(A);
    }

    @Test
    void anUnknownLinkIs404AndAMalformedOneIs400() throws Exception {
        assertThat(get("links/" + UNKNOWN).statusCode()).isEqualTo(404);
        HttpResponse<String> bad = get("links/" + AB.toUpperCase() + "x");
        assertThat(bad.statusCode()).isEqualTo(400);
        assertThat(json(bad).get("message").asText()).startsWith("qkdlId: not a UUID");
    }
}

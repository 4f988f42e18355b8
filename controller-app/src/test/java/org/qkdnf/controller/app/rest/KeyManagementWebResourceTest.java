package org.qkdnf.controller.app.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.lang.reflect.Field;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Clock;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;

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
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.controller.impl.SimpleKeyManagementStore;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;

/** The key-management REST resources over Jersey on loopback, with a restored core manager. */
class KeyManagementWebResourceTest {

    static final String A = "10000000-0000-4000-8000-000000000001";
    static final String B = "20000000-0000-4000-8000-000000000002";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String S = "5e000000-0000-4000-8000-000000000001";

    private static ScheduledExecutorService scheduler;
    private static HttpServer server;
    private static URI base;
    private static ServiceDirectory previous;
    private final HttpClient http = HttpClient.newHttpClient();

    @BeforeAll
    static void start() throws Exception {
        SimpleKeyManagementStore store = new SimpleKeyManagementStore();
        store.putNode(KmNode.newBuilder().setHello(KmsHello.newBuilder().setQkdnId(A).setKmeId("kme-a")
                .setEtsi014Address("127.0.0.1:8443")).setInventory(KmsInventory.newBuilder()
                .addKmLinks(KmLink.newBuilder().setQkdlId(AB).setNeighbourQkdnId(B))).build());
        store.putRoute(KeyRouteEntry.newBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_INSTALLED)
                .setRoute(KeyRoute.newBuilder().setServiceId(S).setMasterSaeId("alice").setSlaveSaeId("bob")
                        .addRouteQkdnIds(A).addRouteQkdnIds(B).addRouteQkdlIds(AB).setBufferBits(64)).build());
        scheduler = Executors.newSingleThreadScheduledExecutor();
        KeyManagementManager km = new KeyManagementManager(store, scheduler, ControllerSettings::defaults,
                Clock.systemUTC());
        Field f = BaseResource.class.getDeclaredField("services");
        f.setAccessible(true);
        previous = (ServiceDirectory) f.get(null);
        f.set(null, new TestServiceDirectory().add(KeyManagementService.class, km));
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
        scheduler.shutdownNow();
    }

    private JsonNode get(String path) throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(base.resolve(path)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
        return new ObjectMapper().readTree(r.body());
    }

    @Test
    void keyManagersLinksAndRoutes() throws Exception {
        JsonNode n = get("km/nodes").get("km_nodes");
        assertThat(n).hasSize(1);
        assertThat(n.get(0).get("qkdn_id").asText()).isEqualTo(A);
        assertThat(n.get(0).get("connected").asBoolean()).isFalse();
        assertThat(n.get(0).get("km_links").get(0).get("neighbour_qkdn_id").asText()).isEqualTo(B);
        JsonNode l = get("km/links").get("km_links");
        assertThat(l.get(0).get("qkdl_id").asText()).isEqualTo(AB);
        assertThat(l.get(0).get("qkdn_id_b").asText()).isEqualTo(B);
        JsonNode r = get("km/routes").get("key_routes");
        assertThat(r.get(0).get("service_id").asText()).isEqualTo(S);
        assertThat(r.get(0).get("state").asText()).isEqualTo("INSTALLED");
        assertThat(r.get(0).get("route_qkdn_ids")).hasSize(2);
    }
}

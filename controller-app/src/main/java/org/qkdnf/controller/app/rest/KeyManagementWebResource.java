package org.qkdnf.controller.app.rest;

import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;

import org.onosproject.rest.AbstractWebResource;
import org.qkdnf.controller.api.KeyManagementService;
import org.qkdnf.controller.app.codec.KeyManagementJson;

/**
 * The key-management view (Sk), read-only: key managers, key-management links with pool levels,
 * and the key routes the controller holds. Jersey creates one instance per request; no state.
 * Routes are pinned through the gRPC KeyRouteAdminService, which answers after every key manager
 * acknowledged.
 */
@Path("km")
public class KeyManagementWebResource extends AbstractWebResource {

    /**
     * Lists the key managers, ordered by qkdn_id, with their links, pool levels and counters.
     *
     * @return 200 OK with {@code {"km_nodes": [...]}}
     */
    @GET
    @Path("nodes")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getKmNodes() {
        return ok(KeyManagementJson.nodes(mapper(), get(KeyManagementService.class).getKmNodes())).build();
    }

    /**
     * Lists the key-management links, ordered by qkdl_id, with the lanes each end reported.
     *
     * @return 200 OK with {@code {"km_links": [...]}}
     */
    @GET
    @Path("links")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getKmLinks() {
        return ok(KeyManagementJson.links(mapper(), get(KeyManagementService.class).getKmLinks())).build();
    }

    /**
     * Lists the key routes, ordered by service_id, with their state.
     *
     * @return 200 OK with {@code {"key_routes": [...]}}
     */
    @GET
    @Path("routes")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getKeyRoutes() {
        return ok(KeyManagementJson.routes(mapper(), get(KeyManagementService.class).getKeyRoutes())).build();
    }
}

package org.qkdnf.controller.app.rest;

import java.io.InputStream;
import java.util.List;

import javax.ws.rs.Consumes;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;

import io.grpc.StatusRuntimeException;
import org.onosproject.rest.AbstractWebResource;
import org.qkdnf.controller.app.codec.KeyServiceJson;
import org.qkdnf.controller.app.keyservice.KeyServiceCalls;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/** Path computation (Nc QueryPaths over REST): nothing is reserved. Jersey creates one instance per request. */
@Path("paths")
public class KeyPathsWebResource extends AbstractWebResource {

    /**
     * The route(s) a key service with this spec would get now (two node-disjoint ones for
     * ONE_PLUS_ONE when they exist).
     *
     * @param stream the spec as JSON, as for creating a key service
     * @return 200 OK with {@code {"routes": [...]}}; 400 naming a bad field; 404 for an unknown
     *         node; 409 when no route has the rate; 503 when there is no leader
     * @onos.rsModel KeyServicePost
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response queryPaths(InputStream stream) {
        KeyServiceSpec spec;
        try {
            spec = KeyServiceJson.decodeSpec(KeyServicesWebResource.readJson(stream));
        } catch (IllegalArgumentException e) {
            return StatusResponses.error(mapper(), 400, e.getMessage());
        }
        try {
            List<ServiceRoute> routes = KeyServiceCalls.await(get(KeyServicesService.class).queryPaths(spec));
            return ok(KeyServiceJson.routesObject(mapper(), routes)).build();
        } catch (StatusRuntimeException e) {
            return StatusResponses.of(mapper(), e.getStatus());
        }
    }
}

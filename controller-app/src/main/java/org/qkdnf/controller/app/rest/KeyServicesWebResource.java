package org.qkdnf.controller.app.rest;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;

import javax.ws.rs.Consumes;
import javax.ws.rs.DELETE;
import javax.ws.rs.GET;
import javax.ws.rs.POST;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;

import com.fasterxml.jackson.databind.JsonNode;
import io.grpc.StatusRuntimeException;
import org.onosproject.rest.AbstractWebResource;
import org.qkdnf.controller.app.codec.KeyServiceJson;
import org.qkdnf.controller.app.keyservice.KeyServiceCalls;
import org.qkdnf.controller.app.keyservice.KeyServicesService;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;

/**
 * Key services (Nc over REST): list, read, create, delete. Any instance answers; changes run on
 * the cluster's key-service leader. Jersey creates one instance per request; no state.
 */
@Path("services")
public class KeyServicesWebResource extends AbstractWebResource {

    /**
     * Lists the key services (ACTIVE or DEGRADED), ordered by service_id.
     *
     * @return 200 OK with {@code {"services": [...]}}
     * @onos.rsModel KeyServices
     */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response getServices() {
        return ok(KeyServiceJson.services(mapper(), get(KeyServicesService.class).list())).build();
    }

    /**
     * One key service.
     *
     * @param serviceId the service's id (a UUID)
     * @return 200 OK with the service; 400 when serviceId is not a UUID; 404 when there is no such service
     * @onos.rsModel KeyService
     */
    @GET
    @Path("{serviceId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getService(@PathParam("serviceId") String serviceId) {
        String id = QkdIdParam.uuid("serviceId", serviceId);
        KeyService s = get(KeyServicesService.class).get(id).orElse(null);
        if (s == null) {
            return StatusResponses.error(mapper(), 404, "serviceId: no key service " + id);
        }
        return ok(KeyServiceJson.service(mapper(), s)).build();
    }

    /**
     * Creates a key service: routes it, reserves min_bandwidth_bps on every link and installs the
     * route in the key managers; answers once it is ACTIVE or the setup failed (nothing left behind).
     *
     * @param stream the spec as JSON (Nc field names)
     * @return 201 Created with the service and its Location; 400 naming a bad field; 404 for an
     *         unknown node; 409 when no route has the rate; 503 when there is no leader or a key
     *         manager on the route is not connected
     * @onos.rsModel KeyServicePost
     */
    @POST
    @Consumes(MediaType.APPLICATION_JSON)
    @Produces(MediaType.APPLICATION_JSON)
    public Response createService(InputStream stream) {
        KeyServiceSpec spec;
        try {
            spec = KeyServiceJson.decodeSpec(readJson(stream));
        } catch (IllegalArgumentException e) {
            return StatusResponses.error(mapper(), 400, e.getMessage());
        }
        try {
            KeyService s = KeyServiceCalls.await(get(KeyServicesService.class).create(spec));
            return Response.created(URI.create("services/" + s.getServiceId()))
                    .entity(KeyServiceJson.service(mapper(), s).toString()).type(MediaType.APPLICATION_JSON).build();
        } catch (StatusRuntimeException e) {
            return StatusResponses.of(mapper(), e.getStatus());
        }
    }

    /**
     * Deletes a key service: its routes leave the key managers, its reservation is released.
     *
     * @param serviceId the service's id (a UUID)
     * @return 204 No Content; 400 when serviceId is not a UUID; 404 when there is no such service;
     *         503 when there is no leader
     */
    @DELETE
    @Path("{serviceId}")
    public Response deleteService(@PathParam("serviceId") String serviceId) {
        String id = QkdIdParam.uuid("serviceId", serviceId);
        try {
            KeyServiceCalls.await(get(KeyServicesService.class).delete(id));
            return Response.noContent().build();
        } catch (StatusRuntimeException e) {
            return StatusResponses.of(mapper(), e.getStatus());
        }
    }

    /** The request body as JSON; a body that is not JSON is a 400 naming the body. */
    static JsonNode readJson(InputStream stream) {
        try {
            JsonNode node = new com.fasterxml.jackson.databind.ObjectMapper().readTree(stream);
            if (node == null || node.isMissingNode()) {
                throw new IllegalArgumentException("body: required (a JSON object)");
            }
            return node;
        } catch (IOException e) {
            throw new IllegalArgumentException("body: not valid JSON");
        }
    }
}

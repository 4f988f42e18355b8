package org.qkdnf.controller.app.rest;

import static org.onlab.util.Tools.nullIsNotFound;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;

import javax.ws.rs.GET;
import javax.ws.rs.Path;
import javax.ws.rs.PathParam;
import javax.ws.rs.Produces;
import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;

import org.onosproject.rest.AbstractWebResource;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.app.codec.TopologyJson;

/** QKD nodes known to the controller (read-only). Jersey creates one instance per request; no state. */
@Path("nodes")
public class QkdNodesWebResource extends AbstractWebResource {

    /**
     * Lists all QKD nodes, ordered by qkdn_id.
     *
     * @return 200 OK with {@code {"nodes": [...]}}
     */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response getNodes() {
        List<QkdNodeInfo> nodes = new ArrayList<>(get(QkdTopologyService.class).getNodes());
        nodes.sort(Comparator.comparing(QkdNodeInfo::qkdnId));
        return ok(TopologyJson.nodes(mapper(), nodes)).build();
    }

    /**
     * One QKD node.
     *
     * @param qkdnId the node's qkdn_id (a UUID)
     * @return 200 OK with the node; 400 Bad Request when qkdnId is not a UUID; 404 Not Found when
     *         no such node is known
     */
    @GET
    @Path("{qkdnId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getNode(@PathParam("qkdnId") String qkdnId) {
        String id = QkdIdParam.uuid("qkdnId", qkdnId);
        QkdNodeInfo node = nullIsNotFound(get(QkdTopologyService.class).getNode(id).orElse(null),
                "QKD node not found: " + id);
        return ok(TopologyJson.node(mapper(), node)).build();
    }
}

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
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.app.codec.TopologyJson;

/**
 * QKD links known to the controller, merged from both ends' reports (read-only). Jersey creates one
 * instance per request; no state.
 */
@Path("links")
public class QkdLinksWebResource extends AbstractWebResource {

    /**
     * Lists all QKD links, ordered by qkdl_id.
     *
     * @return 200 OK with {@code {"links": [...]}}
     */
    @GET
    @Produces(MediaType.APPLICATION_JSON)
    public Response getLinks() {
        List<QkdLinkInfo> links = new ArrayList<>(get(QkdTopologyService.class).getLinks());
        links.sort(Comparator.comparing(QkdLinkInfo::qkdlId));
        return ok(TopologyJson.links(mapper(), links)).build();
    }

    /**
     * One QKD link.
     *
     * @param qkdlId the link's qkdl_id (a UUID)
     * @return 200 OK with the link; 400 Bad Request when qkdlId is not a UUID; 404 Not Found when
     *         no such link is known
     */
    @GET
    @Path("{qkdlId}")
    @Produces(MediaType.APPLICATION_JSON)
    public Response getLink(@PathParam("qkdlId") String qkdlId) {
        String id = QkdIdParam.uuid("qkdlId", qkdlId);
        QkdLinkInfo link = nullIsNotFound(get(QkdTopologyService.class).getLink(id).orElse(null),
                "QKD link not found: " + id);
        return ok(TopologyJson.link(mapper(), link)).build();
    }
}

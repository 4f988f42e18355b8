package org.qkdnf.controller.app.codec;

import java.util.Collection;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.protobuf.ProtocolMessageEnum;

import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.proto.southbound.v1.QkdInterface;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdNode;

/**
 * JSON of nodes and links for REST and {@code -j} CLI output, one shape for both. Field names are
 * ETSI GS QKD 015's ({@code qkdn_id}, {@code qkdl_status}, {@code skr}, ...) and enum values lose
 * their protobuf prefix ({@code QKDL_STATUS_ACTIVE} is {@code "ACTIVE"}), so an operator who knows
 * 015 reads it directly. Stateless; thread-safe.
 */
public final class TopologyJson {

    private TopologyJson() {
    }

    /** {@code {"nodes": [...]}} */
    public static ObjectNode nodes(ObjectMapper mapper, Collection<QkdNodeInfo> nodes) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode array = root.putArray("nodes");
        for (QkdNodeInfo n : nodes) {
            array.add(node(mapper, n));
        }
        return root;
    }

    /** {@code {"links": [...]}} */
    public static ObjectNode links(ObjectMapper mapper, Collection<QkdLinkInfo> links) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode array = root.putArray("links");
        for (QkdLinkInfo l : links) {
            array.add(link(mapper, l));
        }
        return root;
    }

    public static ObjectNode node(ObjectMapper mapper, QkdNodeInfo info) {
        QkdNode n = info.node();
        ObjectNode o = mapper.createObjectNode()
                .put("qkdn_id", info.qkdnId())
                .put("qkdn_name", n.getQkdnName())
                .put("qkdn_status", name(n.getQkdnStatus(), "QKDN_STATUS_"))
                .put("qkdn_version", n.getQkdnVersion())
                .put("agent_connected", info.agentConnected())
                .put("last_seen", info.lastSeen().toString());
        ArrayNode interfaces = o.putArray("qkd_interfaces");
        for (QkdInterface i : n.getQkdInterfacesList()) {
            interfaces.addObject()
                    .put("qkdi_id", i.getQkdiId())
                    .put("qkdi_model", i.getQkdiModel())
                    .put("qkdi_type", i.getQkdiType())
                    .put("qkdi_status", name(i.getQkdiStatus(), "QKDI_STATUS_"));
        }
        ArrayNode links = o.putArray("qkd_links");
        for (QkdLink l : n.getQkdLinksList()) {
            links.add(l.getQkdlId());
        }
        return o;
    }

    public static ObjectNode link(ObjectMapper mapper, QkdLinkInfo info) {
        QkdLink l = info.link();
        ObjectNode o = mapper.createObjectNode()
                .put("qkdl_id", info.qkdlId())
                .put("qkdl_type", name(l.getQkdlType(), "QKDL_TYPE_"))
                .put("qkdl_status", name(info.status(), "QKDL_STATUS_"))
                .put("degraded", info.degraded());
        ArrayNode ends = o.putArray("ends");
        for (String nodeId : info.nodeIds()) {
            ObjectNode end = ends.addObject().put("qkdn_id", nodeId);
            info.reportOf(nodeId).ifPresent(r -> end.put("qkdi_id", r.getQkdlLocal().getQkdiId()));
            end.put("reported", info.reportOf(nodeId).isPresent());
            info.endStatus(nodeId).ifPresent(s -> end.put("qkdl_status", name(s, "QKDL_STATUS_")));
        }
        if (info.hasPerformance()) {
            o.putObject("performance")
                    .put("skr", info.skrBps())
                    .put("eskr", info.eskrBps())
                    .put("qber", info.qber())
                    .put("key_volume", info.keyVolumeBits())
                    .put("measured_at", info.measuredAt().toString());
        } else {
            o.putNull("performance");
        }
        return o;
    }

    /** {@code QKDL_STATUS_ACTIVE} → {@code ACTIVE}. */
    public static String name(ProtocolMessageEnum value, String prefix) {
        String n = ((Enum<?>) value).name();
        return n.startsWith(prefix) ? n.substring(prefix.length()) : n;
    }
}

package org.qkdnf.controller.app.codec;

import java.util.List;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;

/**
 * JSON of the key-management view (Sk) for REST: field names are the proto's
 * ({@code qkdn_id}, {@code available_bits}, ...), route states lose their prefix
 * ({@code KEY_ROUTE_STATE_INSTALLED} is {@code "INSTALLED"}). Stateless; thread-safe.
 */
public final class KeyManagementJson {

    private KeyManagementJson() {
    }

    /** {@code {"km_nodes": [...]}} */
    public static ObjectNode nodes(ObjectMapper mapper, List<KmNode> nodes) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode array = root.putArray("km_nodes");
        for (KmNode n : nodes) {
            ObjectNode o = array.addObject();
            o.put("qkdn_id", n.getHello().getQkdnId());
            o.put("kme_id", n.getHello().getKmeId());
            o.put("etsi014_address", n.getHello().getEtsi014Address());
            o.put("connected", n.getConnected());
            ArrayNode links = o.putArray("km_links");
            for (KmLink l : n.getInventory().getKmLinksList()) {
                links.addObject().put("qkdl_id", l.getQkdlId()).put("neighbour_qkdn_id", l.getNeighbourQkdnId());
            }
            levels(o.putArray("pools"), n.getPoolReport().getPoolsList());
            ObjectNode s = o.putObject("service_counters");
            s.put("keys_delivered_to_master", n.getRelayCounters().getServices().getKeysDeliveredToMaster());
            s.put("keys_delivered_to_slave", n.getRelayCounters().getServices().getKeysDeliveredToSlave());
            s.put("bits_relayed", n.getRelayCounters().getServices().getBitsRelayed());
            s.put("relay_failures", n.getRelayCounters().getServices().getRelayFailures());
            ArrayNode installed = o.putArray("installed_service_ids");
            n.getRelayCounters().getInstalledServiceIdsList().forEach(installed::add);
        }
        return root;
    }

    /** {@code {"km_links": [...]}} */
    public static ObjectNode links(ObjectMapper mapper, List<KmLinkState> links) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode array = root.putArray("km_links");
        for (KmLinkState l : links) {
            ObjectNode o = array.addObject();
            o.put("qkdl_id", l.getQkdlId());
            o.put("qkdn_id_a", l.getQkdnIdA());
            o.put("qkdn_id_b", l.getQkdnIdB());
            levels(o.putArray("levels_a"), l.getLevelsAList());
            levels(o.putArray("levels_b"), l.getLevelsBList());
        }
        return root;
    }

    /** {@code {"key_routes": [...]}} */
    public static ObjectNode routes(ObjectMapper mapper, List<KeyRouteEntry> routes) {
        ObjectNode root = mapper.createObjectNode();
        ArrayNode array = root.putArray("key_routes");
        for (KeyRouteEntry e : routes) {
            KeyRoute r = e.getRoute();
            ObjectNode o = array.addObject();
            o.put("service_id", r.getServiceId());
            o.put("state", e.getState().name().replace("KEY_ROUTE_STATE_", ""));
            o.put("master_sae_id", r.getMasterSaeId());
            o.put("slave_sae_id", r.getSlaveSaeId());
            ArrayNode nodes = o.putArray("route_qkdn_ids");
            r.getRouteQkdnIdsList().forEach(nodes::add);
            ArrayNode links = o.putArray("route_qkdl_ids");
            r.getRouteQkdlIdsList().forEach(links::add);
            o.put("rate_bps", r.getRateBps());
            o.put("buffer_bits", r.getBufferBits());
        }
        return root;
    }

    private static void levels(ArrayNode array, List<PoolLevel> levels) {
        for (PoolLevel p : levels) {
            array.addObject().put("qkdl_id", p.getQkdlId()).put("owner_qkdn_id", p.getOwnerQkdnId())
                    .put("max_bits", p.getMaxBits()).put("available_bits", p.getAvailableBits())
                    .put("produced_bits", p.getProducedBits()).put("consumed_bits", p.getConsumedBits());
        }
    }
}

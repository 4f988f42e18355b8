package org.qkdnf.kms.api;

import java.util.List;
import java.util.Objects;
import java.util.UUID;

/**
 * A key service as installed in the key managers along its route: key for the master SAE at the
 * first node's key manager, shared with the slave SAE at the last node's, relayed hop by hop over
 * the route's links.
 *
 * @param serviceId     UUID of the service
 * @param masterSaeId   the SAE that calls enc_keys at the route's first node
 * @param slaveSaeId    the SAE that calls dec_keys at the route's last node
 * @param routeQkdnIds  the nodes, source first; at least one (master and slave at the same node)
 * @param routeQkdlIds  the links between consecutive nodes ({@code routeQkdnIds.size() - 1})
 * @param bufferBits    key the source keeps relayed ahead of demand, bits (a multiple of 8)
 */
public record KeyServiceDefinition(UUID serviceId, String masterSaeId, String slaveSaeId, List<String> routeQkdnIds,
                                   List<String> routeQkdlIds, long bufferBits) {

    public KeyServiceDefinition {
        Objects.requireNonNull(serviceId, "service_id");
        if (masterSaeId == null || masterSaeId.isBlank()) {
            throw new IllegalArgumentException("master_SAE_ID: required");
        }
        if (slaveSaeId == null || slaveSaeId.isBlank()) {
            throw new IllegalArgumentException("slave_SAE_ID: required");
        }
        checkId(masterSaeId, "master_SAE_ID");
        checkId(slaveSaeId, "slave_SAE_ID");
        if (masterSaeId.equals(slaveSaeId)) {
            throw new IllegalArgumentException("slave_SAE_ID: equals master_SAE_ID");
        }
        routeQkdnIds = List.copyOf(routeQkdnIds);
        routeQkdlIds = List.copyOf(routeQkdlIds);
        if (routeQkdnIds.size() < 2) {
            throw new IllegalArgumentException("route: at least two nodes (key between SAEs of one node needs no QKD)");
        }
        if (routeQkdlIds.size() != routeQkdnIds.size() - 1) {
            throw new IllegalArgumentException("route: " + routeQkdnIds.size() + " nodes need "
                    + (routeQkdnIds.size() - 1) + " links, got " + routeQkdlIds.size());
        }
        routeQkdnIds.forEach(n -> checkId(n, "route.qkdn_ids"));
        routeQkdlIds.forEach(l -> checkId(l, "route.qkdl_ids"));
        if (new java.util.HashSet<>(routeQkdnIds).size() != routeQkdnIds.size()) {
            throw new IllegalArgumentException("route: visits a node twice");
        }
        if (bufferBits <= 0 || bufferBits % 8 != 0) {
            throw new IllegalArgumentException("buffer_bits: must be a positive multiple of 8, got " + bufferBits);
        }
    }

    /**
     * 1-128 of A-Z a-z 0-9 . _ : -. By hand, not a regex: every route install checks a dozen ids,
     * and the regex engine was most of what validating a definition cost.
     */
    private static void checkId(String id, String field) {
        boolean ok = id.length() >= 1 && id.length() <= 128;
        for (int i = 0; ok && i < id.length(); i++) {
            char c = id.charAt(i);
            ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '_'
                    || c == ':' || c == '-';
        }
        if (!ok) {
            throw new IllegalArgumentException(field + ": 1-128 characters of A-Z a-z 0-9 . _ : -, got '" + id + "'");
        }
    }

    public String sourceQkdnId() {
        return routeQkdnIds.get(0);
    }

    public String destinationQkdnId() {
        return routeQkdnIds.get(routeQkdnIds.size() - 1);
    }
}

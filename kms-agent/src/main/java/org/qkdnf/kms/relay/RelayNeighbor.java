package org.qkdnf.kms.relay;

import java.util.Objects;

/**
 * A node this key manager shares a QKD link with, and where that node's key manager serves Kk.
 *
 * @param qkdnId the neighbour's qkdn_id; its kms certificate must carry it as CN
 * @param qkdlId the link between the two nodes; both ends hold its two lanes
 * @param host   host or address of the neighbour's Kk server (must match its certificate's SAN)
 * @param port   port of that server
 */
public record RelayNeighbor(String qkdnId, String qkdlId, String host, int port) {

    public RelayNeighbor {
        Objects.requireNonNull(qkdnId, "qkdnId");
        Objects.requireNonNull(qkdlId, "qkdlId");
        Objects.requireNonNull(host, "host");
        if (port <= 0 || port > 65535) {
            throw new IllegalArgumentException("port: must be 1..65535, got " + port);
        }
    }
}

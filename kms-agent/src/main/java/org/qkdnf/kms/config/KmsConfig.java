package org.qkdnf.kms.config;

import java.util.List;
import java.util.Objects;

import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.RelayNeighbor;

/**
 * A validated key manager configuration: what {@link org.qkdnf.kms.KmsAgent#start} needs, plus
 * the neighbours, peers and operator-pinned key services to set up once it runs.
 *
 * @param agent       the key manager itself
 * @param neighbors   nodes it shares a QKD link with (Kk relay)
 * @param peers       other key managers' control listeners, by qkdn_id (key assignment)
 * @param keyServices key services whose route passes through this node, installed at start
 */
public record KmsConfig(KmsAgentConfig agent, List<RelayNeighbor> neighbors, List<Peer> peers,
                        List<KeyServiceDefinition> keyServices) {

    public KmsConfig {
        Objects.requireNonNull(agent, "agent");
        neighbors = List.copyOf(neighbors);
        peers = List.copyOf(peers);
        keyServices = List.copyOf(keyServices);
    }

    /** Another node's key manager and where its control listener (key assignment) is, host:port. */
    public record Peer(String qkdnId, String controlTarget) {
    }
}

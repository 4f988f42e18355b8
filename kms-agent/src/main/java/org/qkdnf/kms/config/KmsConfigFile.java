package org.qkdnf.kms.config;

import java.util.List;

/**
 * The key manager's YAML configuration file as written, before validation. Keys are snake_case;
 * boxed types so that a missing value is told apart from zero. See the module's README for the
 * format.
 */
record KmsConfigFile(String qkdnId, String kmeId, String dataDir, TlsSection tls, ListenSection listen,
                     Long laneMaxBits, List<NeighborSection> neighbors, List<PeerSection> peers,
                     List<KeyServiceSection> keyServices) {

    record TlsSection(String certificateChain, String privateKey, String trustedCa) {
    }

    record ListenSection(String control, String relay, String etsi014) {
    }

    record NeighborSection(String qkdnId, String qkdlId, String relay) {
    }

    record PeerSection(String qkdnId, String control) {
    }

    record KeyServiceSection(String serviceId, String masterSaeId, String slaveSaeId, List<String> routeQkdnIds,
                             List<String> routeQkdlIds, Long bufferBits) {
    }
}

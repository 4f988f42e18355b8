package org.qkdnf.kms;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.Objects;

import org.qkdnf.common.tls.TlsFiles;

/**
 * What one key manager needs to run.
 *
 * @param qkdnId        the trusted node it serves (CN of its certificate)
 * @param kmeId         its KME id, as ETSI GS QKD 014 names it in status answers
 * @param dataDir       where its stores live ({@code pools.mv.db}, {@code services.mv.db},
 *                      {@code store.key}, created on first start)
 * @param tls           its certificate (OU kms) and the provider's CA
 * @param controlListen Kq (from the node's qkd-agent) and key assignment (from other key managers)
 * @param relayListen   Kk (key relay from neighbouring key managers)
 * @param etsi014Listen ETSI GS QKD 014 for the SAEs
 * @param laneMaxBits   the most unconsumed key each lane of a link may hold, bits
 */
public record KmsAgentConfig(String qkdnId, String kmeId, Path dataDir, TlsFiles tls,
                             InetSocketAddress controlListen, InetSocketAddress relayListen,
                             InetSocketAddress etsi014Listen, long laneMaxBits) {

    public KmsAgentConfig {
        Objects.requireNonNull(qkdnId, "qkdn_id");
        Objects.requireNonNull(kmeId, "kme_id");
        Objects.requireNonNull(dataDir, "data_dir");
        Objects.requireNonNull(tls, "tls");
        Objects.requireNonNull(controlListen, "control_listen");
        Objects.requireNonNull(relayListen, "relay_listen");
        Objects.requireNonNull(etsi014Listen, "etsi014_listen");
        if (laneMaxBits <= 0) {
            throw new IllegalArgumentException("lane_max_bits: must be positive, got " + laneMaxBits);
        }
    }
}

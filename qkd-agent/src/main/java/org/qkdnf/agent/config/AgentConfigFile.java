package org.qkdnf.agent.config;

import java.util.List;

/**
 * The agent's YAML configuration file as written, before validation. Keys are snake_case; boxed
 * types so that a missing value is told apart from zero. See the module's README for the format.
 */
record AgentConfigFile(NodeSection node, ControllerSection controller, KmsSection kms, Integer reportIntervalMs,
                       Double qberAlarmThreshold, HealthSection health, String scheduleEpoch,
                       List<ModuleSection> modules) {

    record KmsSection(String target) {
    }

    record NodeSection(String qkdnId, String name, LocationSection location) {
    }

    record LocationSection(Double latitudeDeg, Double longitudeDeg, String region) {
    }

    record ControllerSection(String target, TlsSection tls) {
    }

    record TlsSection(String certificateChain, String privateKey, String trustedCa) {
    }

    record HealthSection(String host, Integer port) {
    }

    record ModuleSection(String qkdiId, String role, RemoteSection remote, ChannelSection channel,
                         List<EventSection> events, String keySeedFile, Integer keyBlockBits, LinkSection link,
                         String driver, DeviceSection device) {
    }

    /** {@code driver: etsi014}: the vendor device's ETSI GS QKD 014 interface. */
    record DeviceSection(String url, String saeId, String peerSaeId, TlsSection tls, KeyIdsSection keyIds,
                         Integer maxBufferedBlocks, String journalDir) {
    }

    /** The key_ID hand-over: the master end listens, the slave end connects. */
    record KeyIdsSection(String listen, String target) {
    }

    record RemoteSection(String qkdnId, String qkdiId) {
    }

    record ChannelSection(Double lengthKm, Double lossDbPerKm, DetectorSection detector, Double misalignmentError,
                          Double pulseRateHz) {
    }

    record DetectorSection(Double efficiency, Double darkCountProbability) {
    }

    record EventSection(Double atS, String type, Double extraLossDbPerHour) {
    }

    record LinkSection(String qkdlId, Boolean enabled) {
    }
}

package org.qkdnf.agent.config;

import java.net.InetSocketAddress;
import java.time.Instant;
import java.util.List;

import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.proto.common.v1.GeoLocation;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * Everything one agent needs: the node it speaks for, how to reach its controller, and its QKD
 * modules with the links on them. Built by {@link AgentConfigLoader} from a YAML file, or directly
 * (the testbed). Values are valid once constructed.
 *
 * @param node               the SD-QKD node
 * @param controllerTarget   the controller's Sq address, {@code host:port}
 * @param tls                the node's certificate and key (CN its {@code qkdn_id}) and the CA
 * @param reportIntervalMs   performance report interval, ms, until the controller asks for another
 * @param qberAlarmThreshold QBER above which the agent raises an alarm, fraction
 * @param health             where the gRPC health service listens; {@code null} for none
 * @param scheduleEpoch      time zero of the modules' fault schedules; {@code null}: agent start
 * @param modules            the node's QKD modules
 * @param kmsTarget          the node's key manager (Kq), {@code host:port}; {@code null}: key is
 *                           not supplied to a key manager
 */
public record AgentConfig(Node node, String controllerTarget, TlsFiles tls, int reportIntervalMs,
                          double qberAlarmThreshold, InetSocketAddress health, Instant scheduleEpoch,
                          List<Module> modules, String kmsTarget) {

    public static final int MIN_REPORT_INTERVAL_MS = 100;
    public static final int MAX_REPORT_INTERVAL_MS = 60_000;
    public static final double DEFAULT_QBER_ALARM_THRESHOLD = 0.08;
    public static final int DEFAULT_KEY_BLOCK_BITS = 8192;

    public AgentConfig {
        if (node == null) {
            throw new IllegalArgumentException("node: required");
        }
        if (controllerTarget == null || controllerTarget.isBlank()) {
            throw new IllegalArgumentException("controller.target: required (host:port)");
        }
        if (tls == null) {
            throw new IllegalArgumentException("controller.tls: required");
        }
        if (kmsTarget != null && kmsTarget.isBlank()) {
            throw new IllegalArgumentException("kms.target: must be host:port when given");
        }
        checkReportInterval(reportIntervalMs, "report_interval_ms");
        checkQberThreshold(qberAlarmThreshold, "qber_alarm_threshold");
        modules = List.copyOf(modules);
        java.util.Set<String> ids = new java.util.HashSet<>();
        for (int i = 0; i < modules.size(); i++) {
            Module m = modules.get(i);
            if (!ids.add(m.qkdiId())) {
                throw new IllegalArgumentException("modules[" + i + "].qkdi_id: duplicate " + m.qkdiId());
            }
            if (m.link() != null && !ids.add(m.link().qkdlId())) {
                throw new IllegalArgumentException("modules[" + i + "].link.qkdl_id: duplicate " + m.link().qkdlId());
            }
            if (m.remoteQkdnId().equals(node.qkdnId())) {
                throw new IllegalArgumentException("modules[" + i + "].remote.qkdn_id: is this node");
            }
        }
    }

    public static void checkReportInterval(long ms, String field) {
        if (ms < MIN_REPORT_INTERVAL_MS || ms > MAX_REPORT_INTERVAL_MS) {
            throw new IllegalArgumentException(field + ": must be between " + MIN_REPORT_INTERVAL_MS + " and "
                    + MAX_REPORT_INTERVAL_MS + " ms, got " + ms);
        }
    }

    public static void checkQberThreshold(double v, String field) {
        if (!(v > 0 && v <= 0.5)) {
            throw new IllegalArgumentException(field + ": must be in (0, 0.5], got " + v);
        }
    }

    /**
     * @param qkdnId   UUID of the node
     * @param name     its {@code qkdn_name}
     * @param location where it stands (optional)
     */
    public record Node(String qkdnId, String name, GeoLocation location) {
        public Node {
            Uuids.require(qkdnId, "node.qkdn_id");
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("node.name: required");
            }
        }
    }

    /**
     * One QKD module at this node, wired by a fibre to a module at another node: simulated (the
     * default) or a vendor device reached through its ETSI GS QKD 014 interface ({@code device}).
     *
     * @param qkdiId        UUID of the module ({@code qkdi_id})
     * @param role          this end of the channel; for a device, TRANSMITTER is the master end
     *                      (enc_keys) and RECEIVER the slave end (dec_keys)
     * @param remoteQkdnId  the node at the fibre's far end
     * @param remoteQkdiId  the module at the fibre's far end
     * @param channel       the fibre and the receiver's detectors (the same at both ends); simulated
     *                      modules only ({@code null} for a device)
     * @param schedule      faults scheduled on the fibre (the same at both ends); simulated only
     * @param keySeed       the secret shared with the far module; simulated only
     * @param keyBlockBits  key block size, bits (for a device: the size of each 014 key)
     * @param link          the link on this module when the agent starts; {@code null} for none
     * @param device        the vendor device behind this module; {@code null}: simulated
     */
    public record Module(String qkdiId, PhysQkdRole role, String remoteQkdnId, String remoteQkdiId,
                         ChannelParameters channel, FibreSchedule schedule, KeySeed keySeed, int keyBlockBits,
                         Link link, Device device) {
        public Module {
            Uuids.require(qkdiId, "qkdi_id");
            if (role != PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER && role != PhysQkdRole.PHYS_QKD_ROLE_RECEIVER) {
                throw new IllegalArgumentException("role: must be TRANSMITTER or RECEIVER");
            }
            Uuids.require(remoteQkdnId, "remote.qkdn_id");
            Uuids.require(remoteQkdiId, "remote.qkdi_id");
            if (device == null) {
                if (channel == null) {
                    throw new IllegalArgumentException("channel: required");
                }
                if (keySeed == null) {
                    throw new IllegalArgumentException("key_seed: required");
                }
            } else {
                if (channel != null || keySeed != null || (schedule != null && schedule != FibreSchedule.NONE)) {
                    throw new IllegalArgumentException("channel, events, key_seed_file: only for simulated modules, "
                            + "not with device");
                }
                if (role == PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER && device.keyIdListen() == null) {
                    throw new IllegalArgumentException("device.key_ids.listen: required at the master end");
                }
                if (role == PhysQkdRole.PHYS_QKD_ROLE_RECEIVER && device.keyIdTarget() == null) {
                    throw new IllegalArgumentException("device.key_ids.target: required at the slave end");
                }
            }
            if (keyBlockBits <= 0 || keyBlockBits % 8 != 0 || keyBlockBits > 1 << 20) {
                throw new IllegalArgumentException("key_block_bits: must be a multiple of 8 in [8, 1048576], got "
                        + keyBlockBits);
            }
            schedule = schedule == null ? FibreSchedule.NONE : schedule;
        }

        /** A simulated module (the form every existing caller uses). */
        public Module(String qkdiId, PhysQkdRole role, String remoteQkdnId, String remoteQkdiId,
                      ChannelParameters channel, FibreSchedule schedule, KeySeed keySeed, int keyBlockBits,
                      Link link) {
            this(qkdiId, role, remoteQkdnId, remoteQkdiId, channel, schedule, keySeed, keyBlockBits, link, null);
        }

        /** A module that is a vendor device reached through its ETSI GS QKD 014 interface. */
        public static Module etsi014(String qkdiId, PhysQkdRole role, String remoteQkdnId, String remoteQkdiId,
                                     int keyBlockBits, Link link, Device device) {
            if (device == null) {
                throw new IllegalArgumentException("device: required");
            }
            return new Module(qkdiId, role, remoteQkdnId, remoteQkdiId, null, null, null, keyBlockBits, link, device);
        }

        /** Whether this module is a vendor device rather than simulated. */
        public boolean isDevice() {
            return device != null;
        }
    }

    /**
     * A vendor QKD device's ETSI GS QKD 014 interface, as the agent (an SAE of the device) uses it,
     * and the key_ID hand-over between the agents of the link's two ends.
     *
     * @param url               the device's 014 address, {@code https://host:port}
     * @param saeId             this agent's SAE id at the device (the CN of {@code tls}'s certificate)
     * @param peerSaeId         the far end agent's SAE id at its device
     * @param tls               the SAE certificate and key this agent presents to the device, and the
     *                          CA it trusts for the device
     * @param keyIdListen       master end: where this agent serves the key_IDs to the slave end
     * @param keyIdTarget       slave end: the master end agent's key_ID service, {@code host:port}
     * @param maxBufferedBlocks most key blocks held until the key manager acknowledges them
     * @param journalDir        where key taken from the device is journaled until acknowledged
     */
    public record Device(java.net.URI url, String saeId, String peerSaeId, TlsFiles tls,
                         InetSocketAddress keyIdListen, String keyIdTarget, int maxBufferedBlocks,
                         java.nio.file.Path journalDir) {

        public static final int DEFAULT_MAX_BUFFERED_BLOCKS = 1024;

        public Device {
            if (url == null || url.getHost() == null
                    || !("https".equals(url.getScheme()) || "http".equals(url.getScheme()))) {
                throw new IllegalArgumentException("device.url: must be https://host:port, got " + url);
            }
            if (saeId == null || saeId.isBlank()) {
                throw new IllegalArgumentException("device.sae_id: required");
            }
            if (peerSaeId == null || peerSaeId.isBlank()) {
                throw new IllegalArgumentException("device.peer_sae_id: required");
            }
            if (tls == null) {
                throw new IllegalArgumentException("device.tls: required");
            }
            if (keyIdListen != null && keyIdTarget != null) {
                throw new IllegalArgumentException(
                        "device.key_ids: listen (master end) or target (slave end), not both");
            }
            if (journalDir == null) {
                throw new IllegalArgumentException("device.journal_dir: required");
            }
            if (maxBufferedBlocks < 1 || maxBufferedBlocks > 1 << 20) {
                throw new IllegalArgumentException("device.max_buffered_blocks: must be in [1, 1048576], got "
                        + maxBufferedBlocks);
            }
        }
    }

    /**
     * @param qkdlId   UUID of the link, the same at both ends
     * @param enabled  {@code qkdl_enable}
     */
    public record Link(String qkdlId, boolean enabled) {
        public Link {
            Uuids.require(qkdlId, "link.qkdl_id");
        }
    }
}

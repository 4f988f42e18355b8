package org.qkdnf.kms.config;

import static org.qkdnf.common.config.StrictYaml.required;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.qkdnf.common.config.ConfigException;
import org.qkdnf.common.config.StrictYaml;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.RelayNeighbor;

/**
 * Reads a key manager's YAML configuration strictly, like the qkd-agent's loader: unknown keys,
 * duplicate keys, values of the wrong type and missing required values are errors naming the line
 * (syntax and type errors, unknown keys) or the field path (values); nothing gets a silent default
 * except {@code lane_max_bits}, whose default the README gives. Relative file names are resolved
 * against the configuration file's directory.
 */
public final class KmsConfigLoader {

    /** {@code lane_max_bits} when the file leaves it out: 16 Mibit per lane. */
    public static final long DEFAULT_LANE_MAX_BITS = 1L << 24;

    private static final Pattern HOST_PORT = Pattern.compile("([^:\\s\\[\\]]+|\\[[0-9a-fA-F:.]+\\]):(\\d{1,5})");

    private KmsConfigLoader() {
    }

    public static KmsConfig load(Path file) throws ConfigException {
        KmsConfigFile raw = StrictYaml.read(file, KmsConfigFile.class);
        try {
            return convert(raw, file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    private static KmsConfig convert(KmsConfigFile f, Path base) {
        String qkdnId = uuid(f.qkdnId(), "qkdn_id");
        String kmeId = required(f.kmeId(), "kme_id");
        if (kmeId.isBlank()) {
            throw new IllegalArgumentException("kme_id: must not be blank");
        }
        Path dataDir = base.resolve(required(f.dataDir(), "data_dir"));
        KmsConfigFile.TlsSection t = required(f.tls(), "tls");
        TlsFiles tls = new TlsFiles(
                readable(base.resolve(required(t.certificateChain(), "tls.certificate_chain")), "tls.certificate_chain"),
                readable(base.resolve(required(t.privateKey(), "tls.private_key")), "tls.private_key"),
                readable(base.resolve(required(t.trustedCa(), "tls.trusted_ca")), "tls.trusted_ca"));
        KmsConfigFile.ListenSection l = required(f.listen(), "listen");
        InetSocketAddress control = listen(required(l.control(), "listen.control"), "listen.control");
        InetSocketAddress relay = listen(required(l.relay(), "listen.relay"), "listen.relay");
        InetSocketAddress etsi014 = listen(required(l.etsi014(), "listen.etsi014"), "listen.etsi014");
        long laneMaxBits = f.laneMaxBits() == null ? DEFAULT_LANE_MAX_BITS : f.laneMaxBits();
        if (laneMaxBits <= 0 || laneMaxBits % 8 != 0) {
            throw new IllegalArgumentException("lane_max_bits: must be a positive multiple of 8, got " + laneMaxBits);
        }
        KmsAgentConfig agent = new KmsAgentConfig(qkdnId, kmeId, dataDir, tls, control, relay, etsi014, laneMaxBits);

        List<RelayNeighbor> neighbors = new ArrayList<>();
        Set<String> seen = new HashSet<>();
        List<KmsConfigFile.NeighborSection> ns = f.neighbors() == null ? List.of() : f.neighbors();
        for (int i = 0; i < ns.size(); i++) {
            String p = "neighbors[" + i + "]";
            KmsConfigFile.NeighborSection n = required(ns.get(i), p);
            String id = uuid(n.qkdnId(), p + ".qkdn_id");
            if (id.equals(qkdnId)) {
                throw new IllegalArgumentException(p + ".qkdn_id: is this node's own qkdn_id");
            }
            if (!seen.add(id)) {
                throw new IllegalArgumentException(p + ".qkdn_id: " + id + " is listed twice");
            }
            String link = uuid(n.qkdlId(), p + ".qkdl_id");
            String[] hp = hostPort(required(n.relay(), p + ".relay"), p + ".relay", 1);
            neighbors.add(new RelayNeighbor(id, link, hp[0], Integer.parseInt(hp[1])));
        }

        List<KmsConfig.Peer> peers = new ArrayList<>();
        seen.clear();
        List<KmsConfigFile.PeerSection> ps = f.peers() == null ? List.of() : f.peers();
        for (int i = 0; i < ps.size(); i++) {
            String p = "peers[" + i + "]";
            KmsConfigFile.PeerSection peer = required(ps.get(i), p);
            String id = uuid(peer.qkdnId(), p + ".qkdn_id");
            if (!seen.add(id)) {
                throw new IllegalArgumentException(p + ".qkdn_id: " + id + " is listed twice");
            }
            String target = required(peer.control(), p + ".control");
            hostPort(target, p + ".control", 1);
            peers.add(new KmsConfig.Peer(id, target));
        }

        List<KeyServiceDefinition> services = new ArrayList<>();
        Set<String> serviceIds = new HashSet<>();
        List<KmsConfigFile.KeyServiceSection> ks = f.keyServices() == null ? List.of() : f.keyServices();
        for (int i = 0; i < ks.size(); i++) {
            String p = "key_services[" + i + "]";
            KeyServiceDefinition d = keyService(required(ks.get(i), p), p, qkdnId);
            if (!serviceIds.add(d.serviceId().toString())) {
                throw new IllegalArgumentException(p + ".service_id: " + d.serviceId() + " is listed twice");
            }
            services.add(d);
        }
        return new KmsConfig(agent, neighbors, peers, services);
    }

    private static KeyServiceDefinition keyService(KmsConfigFile.KeyServiceSection s, String p, String self) {
        UUID id = UUID.fromString(uuid(s.serviceId(), p + ".service_id"));
        String master = required(s.masterSaeId(), p + ".master_sae_id");
        String slave = required(s.slaveSaeId(), p + ".slave_sae_id");
        List<String> nodes = required(s.routeQkdnIds(), p + ".route_qkdn_ids");
        List<String> links = required(s.routeQkdlIds(), p + ".route_qkdl_ids");
        for (int j = 0; j < nodes.size(); j++) {
            uuid(nodes.get(j), p + ".route_qkdn_ids[" + j + "]");
        }
        for (int j = 0; j < links.size(); j++) {
            uuid(links.get(j), p + ".route_qkdl_ids[" + j + "]");
        }
        if (!nodes.contains(self)) {
            throw new IllegalArgumentException(p + ".route_qkdn_ids: does not pass through this node " + self);
        }
        long buffer = required(s.bufferBits(), p + ".buffer_bits");
        try {
            return new KeyServiceDefinition(id, master, slave, nodes, links, buffer);
        } catch (IllegalArgumentException e) {
            // The definition names its fields the ETSI way (master_SAE_ID, route); say where in the file.
            throw new IllegalArgumentException(p + ": " + e.getMessage(), e);
        }
    }

    private static InetSocketAddress listen(String value, String field) {
        String[] hp = hostPort(value, field, 0);
        return new InetSocketAddress(hp[0], Integer.parseInt(hp[1]));
    }

    /** Splits host:port (IPv6 in brackets); the port from {@code minPort} to 65535. */
    private static String[] hostPort(String value, String field, int minPort) {
        Matcher m = HOST_PORT.matcher(value);
        if (!m.matches()) {
            throw new IllegalArgumentException(field + ": must be host:port, got '" + value + "'");
        }
        int port = Integer.parseInt(m.group(2));
        if (port < minPort || port > 65535) {
            throw new IllegalArgumentException(field + ": port must be " + minPort + "..65535, got " + port);
        }
        String host = m.group(1);
        if (host.startsWith("[")) {
            host = host.substring(1, host.length() - 1);
        }
        return new String[] {host, m.group(2)};
    }

    private static Path readable(Path file, String field) {
        if (!Files.isReadable(file)) {
            throw new IllegalArgumentException(field + ": cannot read " + file);
        }
        return file;
    }

    private static String uuid(String value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": required");
        }
        if (!Uuids.isUuid(value)) {
            throw new IllegalArgumentException(field + ": must be a UUID, got '" + value + "'");
        }
        return value;
    }




}

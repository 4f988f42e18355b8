package org.qkdnf.agent.config;

import static org.qkdnf.common.config.StrictYaml.required;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.qkdnf.common.config.ConfigException;
import org.qkdnf.common.config.StrictYaml;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.FibreEvent;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.proto.common.v1.GeoLocation;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * Reads an agent's YAML configuration strictly: unknown keys, duplicate keys, values of the wrong
 * type and missing required values are errors naming the line (for syntax and type errors) or the
 * field path; nothing gets a silent default except the optional values the README lists. Relative
 * file names are resolved against the configuration file's directory.
 */
public final class AgentConfigLoader {

    private AgentConfigLoader() {
    }

    public static AgentConfig load(Path file) throws ConfigException {
        AgentConfigFile raw = StrictYaml.read(file, AgentConfigFile.class);
        try {
            return convert(raw, file.toAbsolutePath().getParent());
        } catch (IllegalArgumentException e) {
            throw new ConfigException(file + ": " + e.getMessage(), e);
        }
    }

    private static AgentConfig convert(AgentConfigFile f, Path base) {
        AgentConfigFile.NodeSection n = required(f.node(), "node");
        GeoLocation location = null;
        if (n.location() != null) {
            AgentConfigFile.LocationSection l = n.location();
            double lat = required(l.latitudeDeg(), "node.location.latitude_deg");
            double lon = required(l.longitudeDeg(), "node.location.longitude_deg");
            range(lat, -90, 90, "node.location.latitude_deg");
            range(lon, -180, 180, "node.location.longitude_deg");
            location = GeoLocation.newBuilder().setLatitudeDeg(lat).setLongitudeDeg(lon)
                    .setRegion(l.region() == null ? "" : l.region()).build();
        }
        AgentConfig.Node node = new AgentConfig.Node(n.qkdnId(), n.name(), location);

        AgentConfigFile.ControllerSection c = required(f.controller(), "controller");
        String target = required(c.target(), "controller.target");
        checkTarget(target, "controller.target");
        String kmsTarget = null;
        if (f.kms() != null) {
            kmsTarget = required(f.kms().target(), "kms.target");
            checkTarget(kmsTarget, "kms.target");
        }
        AgentConfigFile.TlsSection t = required(c.tls(), "controller.tls");
        TlsFiles tls = new TlsFiles(
                base.resolve(required(t.certificateChain(), "controller.tls.certificate_chain")),
                base.resolve(required(t.privateKey(), "controller.tls.private_key")),
                base.resolve(required(t.trustedCa(), "controller.tls.trusted_ca")));

        InetSocketAddress health = null;
        if (f.health() != null) {
            String host = required(f.health().host(), "health.host");
            int port = required(f.health().port(), "health.port");
            range(port, 0, 65535, "health.port");
            health = new InetSocketAddress(host, port);
        }
        Instant epoch = null;
        if (f.scheduleEpoch() != null) {
            try {
                epoch = Instant.parse(f.scheduleEpoch());
            } catch (DateTimeParseException e) {
                throw new IllegalArgumentException("schedule_epoch: must be an ISO-8601 UTC instant such as "
                        + "2026-01-01T00:00:00Z, got '" + f.scheduleEpoch() + "'");
            }
        }
        List<AgentConfig.Module> modules = new ArrayList<>();
        List<AgentConfigFile.ModuleSection> ms = required(f.modules(), "modules");
        for (int i = 0; i < ms.size(); i++) {
            String p = "modules[" + i + "]";
            try {
                modules.add(module(required(ms.get(i), p), base, p));
            } catch (IllegalArgumentException e) {
                throw e.getMessage().startsWith(p) ? e : new IllegalArgumentException(p + "." + e.getMessage(), e);
            }
        }
        return new AgentConfig(node, target, tls,
                f.reportIntervalMs() == null ? 1000 : f.reportIntervalMs(),
                f.qberAlarmThreshold() == null ? AgentConfig.DEFAULT_QBER_ALARM_THRESHOLD : f.qberAlarmThreshold(),
                health, epoch, modules, kmsTarget);
    }

    private static AgentConfig.Module module(AgentConfigFile.ModuleSection m, Path base, String p) {
        String driver = m.driver() == null ? "simulated" : m.driver();
        boolean device = driver.equals("etsi014");
        if (!device && !driver.equals("simulated")) {
            throw new IllegalArgumentException(p + ".driver: must be simulated or etsi014, got '" + driver + "'");
        }
        if (!device && m.device() != null) {
            throw new IllegalArgumentException(p + ".device: only with driver: etsi014");
        }
        PhysQkdRole role;
        String r = required(m.role(), p + ".role");
        switch (r.toUpperCase(Locale.ROOT)) {
            case "TRANSMITTER":
                role = PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER;
                break;
            case "RECEIVER":
                role = PhysQkdRole.PHYS_QKD_ROLE_RECEIVER;
                break;
            case "MASTER":
                role = device ? PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER : null;
                break;
            case "SLAVE":
                role = device ? PhysQkdRole.PHYS_QKD_ROLE_RECEIVER : null;
                break;
            default:
                role = null;
        }
        if (role == null) {
            throw new IllegalArgumentException(p + ".role: must be TRANSMITTER or RECEIVER"
                    + (device ? " (or master or slave)" : "") + ", got '" + r + "'");
        }
        AgentConfigFile.RemoteSection remote = required(m.remote(), p + ".remote");
        if (device) {
            return deviceModule(m, role, remote, base, p);
        }
        AgentConfigFile.ChannelSection ch = required(m.channel(), p + ".channel");
        AgentConfigFile.DetectorSection det = required(ch.detector(), p + ".channel.detector");
        ChannelParameters channel;
        try {
            channel = new ChannelParameters(
                    required(ch.lengthKm(), p + ".channel.length_km"),
                    required(ch.lossDbPerKm(), p + ".channel.loss_db_per_km"),
                    required(det.efficiency(), p + ".channel.detector.efficiency"),
                    required(det.darkCountProbability(), p + ".channel.detector.dark_count_probability"),
                    required(ch.misalignmentError(), p + ".channel.misalignment_error"),
                    required(ch.pulseRateHz(), p + ".channel.pulse_rate_hz"));
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(p) ? e : new IllegalArgumentException(p + ".channel." + e.getMessage(), e);
        }
        List<FibreEvent> events = new ArrayList<>();
        if (m.events() != null) {
            for (int j = 0; j < m.events().size(); j++) {
                String pe = p + ".events[" + j + "]";
                AgentConfigFile.EventSection e = required(m.events().get(j), pe);
                FibreEvent.Type type;
                try {
                    type = FibreEvent.Type.valueOf(required(e.type(), pe + ".type").toUpperCase(Locale.ROOT));
                } catch (IllegalArgumentException x) {
                    throw x.getMessage().startsWith(pe) ? x : new IllegalArgumentException(pe
                            + ".type: must be one of CUT, REPAIR, DEGRADE, got '" + e.type() + "'");
                }
                if (type != FibreEvent.Type.DEGRADE && e.extraLossDbPerHour() != null) {
                    throw new IllegalArgumentException(pe + ".extra_loss_db_per_hour: only for DEGRADE");
                }
                try {
                    events.add(new FibreEvent(required(e.atS(), pe + ".at_s"), type,
                            e.extraLossDbPerHour() == null ? 0 : e.extraLossDbPerHour()));
                } catch (IllegalArgumentException x) {
                    throw x.getMessage().startsWith(pe) ? x : new IllegalArgumentException(pe + "." + x.getMessage(), x);
                }
            }
        }
        Path seedFile = base.resolve(required(m.keySeedFile(), p + ".key_seed_file"));
        KeySeed seed;
        try {
            seed = KeySeed.fromHex(Files.readString(seedFile, StandardCharsets.US_ASCII));
        } catch (IOException e) {
            throw new IllegalArgumentException(p + ".key_seed_file: cannot read " + seedFile + ": " + e.getMessage());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(p + ".key_seed_file: " + seedFile + ": " + e.getMessage());
        }
        AgentConfig.Link link = null;
        if (m.link() != null) {
            link = new AgentConfig.Link(m.link().qkdlId(), m.link().enabled() == null || m.link().enabled());
        }
        return new AgentConfig.Module(m.qkdiId(), role, remote.qkdnId(), remote.qkdiId(), channel,
                new FibreSchedule(events), seed,
                m.keyBlockBits() == null ? AgentConfig.DEFAULT_KEY_BLOCK_BITS : m.keyBlockBits(), link);
    }

    private static AgentConfig.Module deviceModule(AgentConfigFile.ModuleSection m, PhysQkdRole role,
                                                   AgentConfigFile.RemoteSection remote, Path base, String p) {
        if (m.channel() != null || m.events() != null || m.keySeedFile() != null) {
            throw new IllegalArgumentException(p + ": channel, events and key_seed_file are for simulated modules,"
                    + " not with driver: etsi014");
        }
        AgentConfigFile.DeviceSection d = required(m.device(), p + ".device");
        String url = required(d.url(), p + ".device.url");
        java.net.URI uri;
        try {
            uri = new java.net.URI(url);
        } catch (java.net.URISyntaxException e) {
            throw new IllegalArgumentException(p + ".device.url: not a URL: '" + url + "'");
        }
        if (!"https".equals(uri.getScheme())) {
            throw new IllegalArgumentException(p + ".device.url: ETSI GS QKD 014 is HTTPS: must be https://host:port,"
                    + " got '" + url + "'");
        }
        AgentConfigFile.TlsSection t = required(d.tls(), p + ".device.tls");
        TlsFiles tls = new TlsFiles(
                base.resolve(required(t.certificateChain(), p + ".device.tls.certificate_chain")),
                base.resolve(required(t.privateKey(), p + ".device.tls.private_key")),
                base.resolve(required(t.trustedCa(), p + ".device.tls.trusted_ca")));
        AgentConfigFile.KeyIdsSection k = required(d.keyIds(), p + ".device.key_ids");
        InetSocketAddress listen = null;
        String target = null;
        if (role == PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER) {
            if (k.target() != null) {
                throw new IllegalArgumentException(p + ".device.key_ids.target: only at the slave end"
                        + " (the master end listens)");
            }
            String l = required(k.listen(), p + ".device.key_ids.listen");
            checkTarget(l, p + ".device.key_ids.listen");
            int colon = l.lastIndexOf(':');
            int port = Integer.parseInt(l.substring(colon + 1));
            range(port, 0, 65535, p + ".device.key_ids.listen");
            listen = new InetSocketAddress(l.substring(0, colon).replace("[", "").replace("]", ""), port);
        } else {
            if (k.listen() != null) {
                throw new IllegalArgumentException(p + ".device.key_ids.listen: only at the master end (the slave"
                        + " end connects)");
            }
            target = required(k.target(), p + ".device.key_ids.target");
            checkTarget(target, p + ".device.key_ids.target");
        }
        AgentConfig.Link link = null;
        if (m.link() != null) {
            link = new AgentConfig.Link(m.link().qkdlId(), m.link().enabled() == null || m.link().enabled());
        }
        try {
            AgentConfig.Device device = new AgentConfig.Device(uri, required(d.saeId(), p + ".device.sae_id"),
                    required(d.peerSaeId(), p + ".device.peer_sae_id"), tls, listen, target,
                    d.maxBufferedBlocks() == null ? AgentConfig.Device.DEFAULT_MAX_BUFFERED_BLOCKS
                            : d.maxBufferedBlocks(),
                    base.resolve(required(d.journalDir(), p + ".device.journal_dir")));
            return AgentConfig.Module.etsi014(m.qkdiId(), role, remote.qkdnId(), remote.qkdiId(),
                    m.keyBlockBits() == null ? AgentConfig.DEFAULT_KEY_BLOCK_BITS : m.keyBlockBits(), link, device);
        } catch (IllegalArgumentException e) {
            throw e.getMessage().startsWith(p) ? e : new IllegalArgumentException(p + "." + e.getMessage(), e);
        }
    }

    private static void checkTarget(String target, String field) {
        if (!target.matches("[^:\\s]+:\\d{1,5}") && !target.matches("\\[[0-9a-fA-F:]+\\]:\\d{1,5}")) {
            throw new IllegalArgumentException(field + ": must be host:port, got '" + target + "'");
        }
    }


    private static void range(double v, double min, double max, String field) {
        if (!(v >= min && v <= max)) {
            throw new IllegalArgumentException(field + ": must be between " + min + " and " + max + ", got " + v);
        }
    }



}

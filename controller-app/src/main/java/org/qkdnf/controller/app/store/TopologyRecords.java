package org.qkdnf.controller.app.store;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.proto.southbound.v1.QkdNode;

/**
 * The byte form of what the cluster shares: a node record and the settings (a link's structure is
 * controller-core's {@link org.qkdnf.controller.impl.QkdLinkRecord}, as the standalone store keeps it).
 *
 * <p>Why bytes rather than Kryo-registered classes: the values carry protobuf messages of the
 * protobuf 4 runtime embedded in this bundle, which ONOS's Kryo (and its protobuf 3.10) must never
 * see. The ConsistentMaps hold {@code byte[]}, which every ONOS serializer handles, and each
 * record starts with a format byte so that a later version can still read it.
 *
 * <p>Stateless; thread-safe.
 */
final class TopologyRecords {

    /** 2 adds the instance hosting the node's agent stream; 1 (without it) is still read. */
    static final int NODE_FORMAT = 2;
    static final int NODE_FORMAT_1 = 1;

    private TopologyRecords() {
    }

    /**
     * The node's inventory, whether its agent is connected (and to which ONOS instance: {@code host},
     * empty when not connected) and when it was last seen. The host comes first so that
     * {@link #hostOf} reads it without parsing the inventory.
     */
    static byte[] encodeNode(QkdNodeInfo node, String host) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(1024);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(NODE_FORMAT);
            out.writeUTF(host);
            writeBytes(out, node.node().toByteArray());
            out.writeBoolean(node.agentConnected());
            out.writeLong(node.lastSeen().getEpochSecond());
            out.writeInt(node.lastSeen().getNano());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** The ONOS instance that hosted the node's agent when the record was written; empty if none. */
    static String hostOf(String qkdnId, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readByte();
            if (format == NODE_FORMAT_1) {
                return "";
            }
            if (format != NODE_FORMAT) {
                throw new IOException("unknown record format " + format);
            }
            return in.readUTF();
        } catch (IOException e) {
            throw new IllegalStateException("stored node " + qkdnId + " does not parse: " + reason(e), e);
        }
    }

    /** @throws IllegalStateException naming the node when the record does not parse */
    static QkdNodeInfo decodeNode(String qkdnId, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readByte();
            if (format == NODE_FORMAT) {
                in.readUTF();
            } else if (format != NODE_FORMAT_1) {
                throw new IOException("unknown record format " + format);
            }
            QkdNode node = QkdNode.parseFrom(readBytes(in));
            boolean connected = in.readBoolean();
            Instant lastSeen = Instant.ofEpochSecond(in.readLong(), in.readInt());
            return new QkdNodeInfo(node, connected, lastSeen);
        } catch (IOException e) {
            throw new IllegalStateException("stored node " + qkdnId + " does not parse: " + reason(e), e);
        }
    }

    /** Settings as sorted {@code key=value} lines (readable in an ONOS map dump). */
    static byte[] encodeSettings(ControllerSettings settings) {
        StringBuilder sb = new StringBuilder();
        for (Map.Entry<String, String> e : new TreeMap<>(settings.toProperties()).entrySet()) {
            sb.append(e.getKey()).append('=').append(e.getValue()).append('\n');
        }
        return sb.toString().getBytes(StandardCharsets.UTF_8);
    }

    /** @throws IllegalStateException when a line is malformed or a value is out of range */
    static ControllerSettings decodeSettings(byte[] data) {
        Map<String, String> p = new HashMap<>();
        for (String line : new String(data, StandardCharsets.UTF_8).split("\n")) {
            if (line.isEmpty()) {
                continue;
            }
            int eq = line.indexOf('=');
            if (eq <= 0) {
                throw new IllegalStateException("stored controller settings: malformed line '" + line + "'");
            }
            p.put(line.substring(0, eq), line.substring(eq + 1));
        }
        try {
            return ControllerSettings.fromProperties(p);
        } catch (IllegalArgumentException e) {
            throw new IllegalStateException("stored controller settings: " + e.getMessage(), e);
        }
    }

    /** An EOFException has no message; its name is the reason. */
    private static String reason(Exception e) {
        return e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
    }

    private static void writeBytes(DataOutputStream out, byte[] b) throws IOException {
        out.writeInt(b.length);
        out.write(b);
    }

    private static byte[] readBytes(DataInputStream in) throws IOException {
        int n = in.readInt();
        if (n < 0 || n > in.available()) {
            throw new IOException("truncated record");
        }
        byte[] b = new byte[n];
        in.readFully(b);
        return b;
    }
}

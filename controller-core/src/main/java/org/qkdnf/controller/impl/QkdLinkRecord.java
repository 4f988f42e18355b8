package org.qkdnf.controller.impl;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;

import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * The stored byte form of a link's structure: its ends, and each end's report and status, behind a
 * format byte so that a later version can still read it. Performance figures are not part of it:
 * they are re-reported every few seconds. One format for every store that keeps links (the
 * standalone controller's file, the ONOS cluster's map), so a change to it is made once.
 *
 * <p>Stateless; thread-safe.
 */
public final class QkdLinkRecord {

    static final int FORMAT = 1;

    private QkdLinkRecord() {
    }

    public static byte[] encode(QkdLinkInfo link) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(512);
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.writeByte(FORMAT);
            out.writeUTF(link.nodeIdA());
            out.writeUTF(link.nodeIdB());
            writeEnd(out, link.reportA(), link.statusA());
            writeEnd(out, link.reportB(), link.statusB());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** @throws IllegalStateException naming the link when the record does not parse */
    public static QkdLinkInfo decode(String qkdlId, byte[] data) {
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(data))) {
            int format = in.readByte();
            if (format != FORMAT) {
                throw new IOException("unknown record format " + format);
            }
            String a = in.readUTF();
            String b = in.readUTF();
            QkdLink reportA = null;
            QkdlStatus statusA = null;
            if (in.readBoolean()) {
                reportA = QkdLink.parseFrom(readBytes(in));
                statusA = readStatus(in);
            }
            QkdLink reportB = null;
            QkdlStatus statusB = null;
            if (in.readBoolean()) {
                reportB = QkdLink.parseFrom(readBytes(in));
                statusB = readStatus(in);
            }
            return QkdLinkInfo.restore(qkdlId, a, b, reportA, statusA, reportB, statusB);
        } catch (IOException | IllegalArgumentException e) {
            // An EOFException has no message; its name is the reason.
            String reason = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
            throw new IllegalStateException("stored link " + qkdlId + " does not parse: " + reason, e);
        }
    }

    private static void writeEnd(DataOutputStream out, QkdLink report, QkdlStatus status) throws IOException {
        out.writeBoolean(report != null);
        if (report != null) {
            byte[] b = report.toByteArray();
            out.writeInt(b.length);
            out.write(b);
            out.writeInt(status.getNumber());
        }
    }

    private static QkdlStatus readStatus(DataInputStream in) throws IOException {
        int n = in.readInt();
        QkdlStatus s = QkdlStatus.forNumber(n);
        if (s == null) {
            throw new IOException("unknown qkdl_status " + n);
        }
        return s;
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

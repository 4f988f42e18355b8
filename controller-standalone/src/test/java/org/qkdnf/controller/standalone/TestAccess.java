package org.qkdnf.controller.standalone;

import java.nio.file.Path;
import java.util.concurrent.TimeUnit;

import io.grpc.ChannelCredentials;
import io.grpc.Status;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdNode;

/** Public bridge to the package-private test helpers for tests in other packages. */
public final class TestAccess {

    private TestAccess() {
    }

    public static TlsFiles issue(DevCertificateAuthority ca, Path dir, String id, DevCertificateAuthority.Role role)
            throws Exception {
        return Agents.issue(ca, dir, id, role);
    }

    public static QkdLink link(String link, String local, String remote) {
        return Agents.link(link, local, remote);
    }

    public static QkdNode node(String id, QkdLink... links) {
        return Agents.node(id, links);
    }

    public static AgentStream stream(int port, ChannelCredentials credentials) {
        return new AgentStream(new Agents.Stream(port, credentials));
    }

    /** Wraps {@link Agents.Stream}. */
    public static final class AgentStream implements AutoCloseable {
        private final Agents.Stream s;

        AgentStream(Agents.Stream s) {
            this.s = s;
        }

        public void hello(String node) {
            s.hello(node);
        }

        public void inventory(QkdNode node) {
            s.inventory(node);
        }

        public void sendRaw(ConnectRequest r) {
            s.out.onNext(r);
        }

        public Object next() throws InterruptedException {
            return s.next();
        }

        public Status closedStatus() throws Exception {
            return s.closed.get(10, TimeUnit.SECONDS);
        }

        @Override
        public void close() throws InterruptedException {
            s.close();
        }
    }
}

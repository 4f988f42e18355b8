package org.qkdnf.it;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;

import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.RelayNeighbor;

/**
 * A key manager in its own JVM, for tests that kill it with SIGKILL. Arguments, in order:
 * {@code qkdnId dataDir cert key ca controlPort relayPort etsiPort}, then any number of
 * {@code neighbor=qkdnId,qkdlId,port}, {@code peer=qkdnId,controlPort} and
 * {@code service=id,master,slave,node;node;..,link;link;..,bufferBits}. Prints {@code READY} once
 * it listens.
 */
public final class KmsProcessMain {

    private KmsProcessMain() {
    }

    public static void main(String[] args) throws Exception {
        String node = args[0];
        InetSocketAddress control = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[5]));
        InetSocketAddress relay = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[6]));
        InetSocketAddress etsi = new InetSocketAddress("127.0.0.1", Integer.parseInt(args[7]));
        KmsAgent kms = KmsAgent.start(new KmsAgentConfig(node, "kme-" + node.substring(0, 8), Path.of(args[1]),
                new TlsFiles(Path.of(args[2]), Path.of(args[3]), Path.of(args[4])), control, relay, etsi,
                KeyChain.LANE_MAX_BITS));
        for (int i = 8; i < args.length; i++) {
            String[] kv = args[i].split("=", 2);
            String[] f = kv[1].split(",");
            switch (kv[0]) {
                case "neighbor":
                    kms.addNeighbor(new RelayNeighbor(f[0], f[1], "127.0.0.1", Integer.parseInt(f[2])));
                    break;
                case "peer":
                    kms.addPeer(f[0], "127.0.0.1:" + f[1]);
                    break;
                case "service":
                    kms.services().install(new KeyServiceDefinition(UUID.fromString(f[0]), f[1], f[2],
                            List.of(f[3].split(";")), List.of(f[4].split(";")), Long.parseLong(f[5])));
                    break;
                default:
                    throw new IllegalArgumentException("unknown argument " + args[i]);
            }
        }
        System.out.println("READY");
        System.out.flush();
        new CountDownLatch(1).await();
    }

    /** The command line that runs this main with the test's class path. */
    static List<String> command(List<String> args) {
        List<String> cmd = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), KmsProcessMain.class.getName()));
        cmd.addAll(args);
        return cmd;
    }
}

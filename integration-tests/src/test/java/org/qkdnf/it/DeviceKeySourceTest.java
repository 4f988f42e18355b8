package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.UUID;
import java.util.function.BooleanSupplier;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.etsi014.Etsi014DeviceDriver;
import org.qkdnf.agent.impl.QkdAgent;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.api.ReservedKey;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/**
 * A hardware key source: two trusted nodes X and Y joined by a vendor QKD device pair that hands
 * out key only through its ETSI GS QKD 014 interface. Two kms-agents stand in for the devices (fed
 * by a simulated QKD link, with a key service between the two device SAE ids, as in
 * {@link KeyDeliveryTest}); X's qkd-agent takes key from its "device" with enc_keys, Y's takes the
 * same keys from its own with dec_keys (learning the key_IDs from X's agent over mTLS gRPC); both
 * feed their node's real key manager over Kq. The two key managers must hold identical lanes:
 * a range reserved at one end is consumed at the other with the same bits, both ways.
 */
class DeviceKeySourceTest {

    static final String SAE_X = "sae-device-x";
    static final String SAE_Y = "sae-device-y";
    static final int BLOCK_BITS = 256;

    @TempDir
    Path dir;

    @Test
    void twoAgentsOnAnEtsi014DevicePairFeedIdenticalLanesIntoTheirKeyManagers() throws Exception {
        java.io.ByteArrayOutputStream logged = new java.io.ByteArrayOutputStream();
        java.io.PrintStream stderr = System.err;
        System.setErr(new java.io.PrintStream(new KeyDeliveryTest.TeeStream(stderr, logged), true));
        List<byte[]> compared = new ArrayList<>();
        List<AutoCloseable> open = new ArrayList<>();
        try (KeyChain devices = new KeyChain(dir, 2)) {
            try {
                KeyServiceDefinition service = new KeyServiceDefinition(UUID.randomUUID(), SAE_X, SAE_Y, devices.nodes,
                        devices.links, 1L << 18);
                for (KmsAgent k : devices.kms) {
                    k.services().install(service);
                }
                // The "real" nodes X and Y, each with its key manager.
                String x = UUID.nameUUIDFromBytes("node-x".getBytes()).toString();
                String y = UUID.nameUUIDFromBytes("node-y".getBytes()).toString();
                String link = UUID.nameUUIDFromBytes("link-xy".getBytes()).toString();
                String ifaceX = UUID.nameUUIDFromBytes("iface-x".getBytes()).toString();
                String ifaceY = UUID.nameUUIDFromBytes("iface-y".getBytes()).toString();
                KmsAgent kmsX = startKms(devices, x, "kme-x");
                open.add(kmsX);
                KmsAgent kmsY = startKms(devices, y, "kme-y");
                open.add(kmsY);

                AgentConfig.Device deviceX = new AgentConfig.Device(
                        URI.create("https://localhost:" + devices.kms[0].etsi014Port()), SAE_X, SAE_Y,
                        devices.issue(SAE_X, Role.SAE), new InetSocketAddress("127.0.0.1", 0), null, 256,
                        devices.dir.resolve("journal-x"));
                QkdAgent agentX = startAgent(devices, x, "x", kmsX, AgentConfig.Module.etsi014(ifaceX,
                        PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER, y, ifaceY, BLOCK_BITS, new AgentConfig.Link(link, true),
                        deviceX));
                open.add(agentX);
                int keyIdPort = ((Etsi014DeviceDriver) agentX.driver(ifaceX).orElseThrow()).keyIdPort();
                AgentConfig.Device deviceY = new AgentConfig.Device(
                        URI.create("https://localhost:" + devices.kms[1].etsi014Port()), SAE_Y, SAE_X,
                        devices.issue(SAE_Y, Role.SAE), null, "127.0.0.1:" + keyIdPort, 256,
                        devices.dir.resolve("journal-y"));
                QkdAgent agentY = startAgent(devices, y, "y", kmsY, AgentConfig.Module.etsi014(ifaceY,
                        PhysQkdRole.PHYS_QKD_ROLE_RECEIVER, x, ifaceX, BLOCK_BITS, new AgentConfig.Link(link, true),
                        deviceY));
                open.add(agentY);

                String laneX = LaneIds.of(link, x);
                String laneY = LaneIds.of(link, y);
                long want = 16L * BLOCK_BITS;
                await(() -> available(kmsX, laneX) >= want && available(kmsX, laneY) >= want
                        && available(kmsY, laneX) >= want && available(kmsY, laneY) >= want);

                // Each lane, reserved at one end and consumed at the other: same block ids, same bits.
                for (String lane : List.of(laneX, laneY)) {
                    ReservedKey atX = kmsX.pools().reserve(lane, 8L * BLOCK_BITS);
                    ReservedKey atY = kmsY.pools().consume(atX.range());
                    assertThat(atY.key()).as(lane + " X->Y").isEqualTo(atX.key());
                    ReservedKey fromY = kmsY.pools().reserve(lane, 4L * BLOCK_BITS + 64);
                    ReservedKey fromX = kmsX.pools().consume(fromY.range());
                    assertThat(fromX.key()).as(lane + " Y->X").isEqualTo(fromY.key());
                    compared.add(atX.key().clone());
                    compared.add(fromY.key().clone());
                }
                assertThat(agentX.keyBlocksAcknowledged()).isPositive();
                assertThat(agentY.keyBlocksAcknowledged()).isPositive();
            } finally {
                // The agents and key managers first, while the "devices" still answer.
                for (int i = open.size() - 1; i >= 0; i--) {
                    open.get(i).close();
                }
            }
        } finally {
            System.setErr(stderr);
        }
        String log = logged.toString(StandardCharsets.UTF_8);
        assertThat(log).as("the drivers logged").contains("master end on device", "slave end on device");
        for (byte[] key : compared) {
            byte[] head = java.util.Arrays.copyOf(key, 16);
            assertThat(log).doesNotContain(HexFormat.of().formatHex(head))
                    .doesNotContain(HexFormat.of().withUpperCase().formatHex(head))
                    .doesNotContain(Base64.getEncoder().encodeToString(head).substring(0, 20));
        }
    }

    private static KmsAgent startKms(KeyChain devices, String node, String kme) throws Exception {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return KmsAgent.start(new KmsAgentConfig(node, kme, devices.dir.resolve("kms-" + kme),
                devices.issue(node, Role.KMS), any, any, any, KeyChain.LANE_MAX_BITS));
    }

    private static QkdAgent startAgent(KeyChain devices, String node, String name, KmsAgent kms,
                                       AgentConfig.Module module) throws Exception {
        TlsFiles tls = devices.issue(node, Role.QKD_NODE);
        return QkdAgent.start(new AgentConfig(new AgentConfig.Node(node, name, null),
                "127.0.0.1:" + devices.controller.sqPort(), tls, 500, 0.08, null, null, List.of(module),
                "127.0.0.1:" + kms.controlPort()), Clock.systemUTC());
    }

    private static long available(KmsAgent kms, String pool) {
        try {
            PoolLevels l = kms.pools().levels(pool);
            return l.availableBits();
        } catch (RuntimeException e) {
            return 0; // no pool yet: the agent has not opened its Kq stream
        }
    }

    /** Waits for progress; the cap only keeps a broken build from hanging. */
    private static void await(BooleanSupplier condition) throws InterruptedException {
        long end = System.nanoTime() + Duration.ofSeconds(45).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("key in both key managers within 45 s").isLessThan(end);
            Thread.sleep(100);
        }
    }
}

package org.qkdnf.kms.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.config.ConfigException;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.relay.RelayNeighbor;

class KmsConfigLoaderTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    static final String SERVICE = "5e000000-0000-4000-8000-000000000001";

    static final String VALID = String.join("\n",
            "qkdn_id: " + A,                                                 // 1
            "kme_id: kme-a",                                                 // 2
            "data_dir: data/a",                                              // 3
            "tls:",                                                          // 4
            "  certificate_chain: a.pem",                                    // 5
            "  private_key: a.key",                                          // 6
            "  trusted_ca: ca.pem",                                          // 7
            "listen:",                                                       // 8
            "  control: 127.0.0.1:0",                                        // 9
            "  relay: 127.0.0.1:9101",                                       // 10
            "  etsi014: 0.0.0.0:8443",                                       // 11
            "lane_max_bits: 8388608",                                        // 12
            "neighbors:",                                                    // 13
            "  - qkdn_id: " + B,                                             // 14
            "    qkdl_id: " + AB,                                            // 15
            "    relay: kms-b.example:9101",                                 // 16
            "peers:",                                                        // 17
            "  - qkdn_id: " + B,                                             // 18
            "    control: kms-b.example:9100",                               // 19
            "key_services:",                                                 // 20
            "  - service_id: " + SERVICE,                                    // 21
            "    master_sae_id: sae-alice",                                  // 22
            "    slave_sae_id: sae-bob",                                     // 23
            "    route_qkdn_ids: [" + A + ", " + B + "]",                    // 24
            "    route_qkdl_ids: [" + AB + "]",                              // 25
            "    buffer_bits: 1048576",                                      // 26
            "");

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        for (String pem : new String[] {"a.pem", "a.key", "ca.pem"}) {
            Files.writeString(dir.resolve(pem), "-----BEGIN nothing-----\n");
        }
        Path f = dir.resolve("kms.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void loadsAValidFile() throws Exception {
        KmsConfig c = KmsConfigLoader.load(write(VALID));
        assertThat(c.agent().qkdnId()).isEqualTo(A);
        assertThat(c.agent().kmeId()).isEqualTo("kme-a");
        assertThat(c.agent().dataDir()).isEqualTo(dir.resolve("data/a"));
        assertThat(c.agent().tls().trustedCa()).isEqualTo(dir.resolve("ca.pem"));
        assertThat(c.agent().controlListen().getPort()).isZero();
        assertThat(c.agent().etsi014Listen().getHostString()).isEqualTo("0.0.0.0");
        assertThat(c.agent().etsi014Listen().getPort()).isEqualTo(8443);
        assertThat(c.agent().laneMaxBits()).isEqualTo(8388608);
        assertThat(c.neighbors()).containsExactly(new RelayNeighbor(B, AB, "kms-b.example", 9101));
        assertThat(c.peers()).containsExactly(new KmsConfig.Peer(B, "kms-b.example:9100"));
        assertThat(c.keyServices()).containsExactly(new KeyServiceDefinition(UUID.fromString(SERVICE), "sae-alice",
                "sae-bob", List.of(A, B), List.of(AB), 1048576));
    }

    @Test
    void optionalSectionsMayBeLeftOut() throws Exception {
        String minimal = VALID.substring(0, VALID.indexOf("lane_max_bits"));
        KmsConfig c = KmsConfigLoader.load(write(minimal));
        assertThat(c.agent().laneMaxBits()).isEqualTo(KmsConfigLoader.DEFAULT_LANE_MAX_BITS);
        assertThat(c.neighbors()).isEmpty();
        assertThat(c.peers()).isEmpty();
        assertThat(c.keyServices()).isEmpty();
    }

    @Test
    void unknownKeyIsNamedWithItsLine() throws Exception {
        Path f = write(VALID.replace("    relay: kms-b", "    realy: kms-b"));
        assertThatThrownBy(() -> KmsConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 16").hasMessageContaining("neighbors[0].realy")
                .hasMessageContaining("unknown key");
    }

    @Test
    void wrongTypeIsNamedWithItsLineAndPath() throws Exception {
        Path f = write(VALID.replace("buffer_bits: 1048576", "buffer_bits: lots"));
        assertThatThrownBy(() -> KmsConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 26").hasMessageContaining("key_services[0].buffer_bits");
    }

    @Test
    void aNumberAsStringIsRefusedNotCoerced() throws Exception {
        Path f = write(VALID.replace("lane_max_bits: 8388608", "lane_max_bits: \"8388608\""));
        assertThatThrownBy(() -> KmsConfigLoader.load(f)).hasMessageContaining("line 12")
                .hasMessageContaining("lane_max_bits");
    }

    @Test
    void duplicateKeyIsNamedWithItsLine() throws Exception {
        Path f = write(VALID.replace("kme_id: kme-a\n", "kme_id: kme-a\nkme_id: kme-x\n"));
        assertThatThrownBy(() -> KmsConfigLoader.load(f)).hasMessageContaining("line 3")
                .hasMessageContaining("kme_id");
    }

    @Test
    void missingValuesAreNamed() throws Exception {
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("  trusted_ca: ca.pem\n", ""))))
                .hasMessageContaining("tls.trusted_ca: required");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("kme_id: kme-a\n", ""))))
                .hasMessageContaining("kme_id: required");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("    buffer_bits: 1048576\n", ""))))
                .hasMessageContaining("key_services[0].buffer_bits: required");
    }

    @Test
    void unreadableTlsFilesAreNamed() throws Exception {
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("private_key: a.key", "private_key: b.key"))))
                .hasMessageContaining("tls.private_key: cannot read " + dir.resolve("b.key"));
    }

    @Test
    void badAddressesAreNamed() throws Exception {
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("0.0.0.0:8443", "8443"))))
                .hasMessageContaining("listen.etsi014: must be host:port, got '8443'");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("127.0.0.1:9101", "127.0.0.1:70000"))))
                .hasMessageContaining("listen.relay: port must be 0..65535");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("kms-b.example:9101", "kms-b.example:0"))))
                .hasMessageContaining("neighbors[0].relay: port must be 1..65535");
    }

    @Test
    void idsMustBeUuidsAndRoutesMustPassThroughThisNode() throws Exception {
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("    qkdl_id: " + AB, "    qkdl_id: ab"))))
                .hasMessageContaining("neighbors[0].qkdl_id: must be a UUID");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("route_qkdn_ids: [" + A + ", ",
                "route_qkdn_ids: [c0000000-0000-4000-8000-00000000000c, "))))
                .hasMessageContaining("key_services[0].route_qkdn_ids: does not pass through this node");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("route_qkdl_ids: [" + AB + "]",
                "route_qkdl_ids: []"))))
                .hasMessageContaining("key_services[0]: route: 2 nodes need 1 links, got 0");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("slave_sae_id: sae-bob",
                "slave_sae_id: sae-alice"))))
                .hasMessageContaining("key_services[0]: slave_SAE_ID: equals master_SAE_ID");
    }

    @Test
    void bufferAndLaneSizesMustBeWholeBytes() throws Exception {
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("buffer_bits: 1048576", "buffer_bits: 1001"))))
                .hasMessageContaining("key_services[0]: buffer_bits: must be a positive multiple of 8");
        assertThatThrownBy(() -> KmsConfigLoader.load(write(VALID.replace("lane_max_bits: 8388608", "lane_max_bits: 0"))))
                .hasMessageContaining("lane_max_bits: must be a positive multiple of 8");
    }

    @Test
    void emptyFileIsAnError() throws Exception {
        assertThatThrownBy(() -> KmsConfigLoader.load(write(""))).hasMessageContaining("empty configuration");
    }
}

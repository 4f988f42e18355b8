package org.qkdnf.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.config.ConfigException;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

/** {@code driver: etsi014} modules in the agent's YAML. */
class DeviceModuleConfigTest {

    static final String HEAD = String.join("\n",
            "node:",
            "  qkdn_id: a0000000-0000-4000-8000-00000000000a",
            "  name: BER-Mitte",
            "controller:",
            "  target: 127.0.0.1:7443",
            "  tls: { certificate_chain: node.pem, private_key: node.key, trusted_ca: ca.pem }",
            "modules:",
            "  - qkdi_id: a1000000-0000-4000-8000-0000000000a1",
            "    remote: { qkdn_id: b0000000-0000-4000-8000-00000000000b, qkdi_id: b1000000-0000-4000-8000-0000000000b1 }",
            "    driver: etsi014",
            "    key_block_bits: 256",
            "    link: { qkdl_id: ab000000-0000-4000-8000-0000000000ab }",
            "");

    static final String MASTER = HEAD + String.join("\n",
            "    role: master",
            "    device:",
            "      url: https://qkd-a.example:8443",
            "      sae_id: sae-agent-a",
            "      peer_sae_id: sae-agent-b",
            "      tls: { certificate_chain: sae.pem, private_key: sae.key, trusted_ca: device-ca.pem }",
            "      key_ids: { listen: 0.0.0.0:7600 }",
            "      journal_dir: journal",
            "");

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void loadsAMasterEnd() throws Exception {
        AgentConfig.Module m = AgentConfigLoader.load(write(MASTER)).modules().get(0);
        assertThat(m.isDevice()).isTrue();
        assertThat(m.role()).isEqualTo(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER);
        assertThat(m.channel()).isNull();
        assertThat(m.keyBlockBits()).isEqualTo(256);
        AgentConfig.Device d = m.device();
        assertThat(d.url().toString()).isEqualTo("https://qkd-a.example:8443");
        assertThat(d.saeId()).isEqualTo("sae-agent-a");
        assertThat(d.peerSaeId()).isEqualTo("sae-agent-b");
        assertThat(d.tls().trustedCa()).isEqualTo(dir.resolve("device-ca.pem"));
        assertThat(d.keyIdListen().getPort()).isEqualTo(7600);
        assertThat(d.keyIdTarget()).isNull();
        assertThat(d.maxBufferedBlocks()).isEqualTo(AgentConfig.Device.DEFAULT_MAX_BUFFERED_BLOCKS);
        assertThat(d.journalDir()).isEqualTo(dir.resolve("journal"));
    }

    @Test
    void aDeviceWithoutAJournalIsRefused() throws Exception {
        Path f = write(MASTER.replace("      journal_dir: journal\n", ""));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("modules[0].device.journal_dir");
    }

    @Test
    void loadsASlaveEnd() throws Exception {
        String yaml = MASTER.replace("role: master", "role: slave")
                .replace("key_ids: { listen: 0.0.0.0:7600 }", "key_ids: { target: agent-a.example:7600 }")
                + "      max_buffered_blocks: 64\n";
        AgentConfig.Module m = AgentConfigLoader.load(write(yaml)).modules().get(0);
        assertThat(m.role()).isEqualTo(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER);
        assertThat(m.device().keyIdTarget()).isEqualTo("agent-a.example:7600");
        assertThat(m.device().maxBufferedBlocks()).isEqualTo(64);
    }

    @Test
    void theWrongKeyIdsEndIsNamed() throws Exception {
        Path f = write(MASTER.replace("key_ids: { listen: 0.0.0.0:7600 }", "key_ids: { target: a:1 }"));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("modules[0].device.key_ids.target");
    }

    @Test
    void plainHttpIsRefused() throws Exception {
        Path f = write(MASTER.replace("https://", "http://"));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).hasMessageContaining("modules[0].device.url");
    }

    @Test
    void simulatedSettingsAreRefusedWithADevice() throws Exception {
        Path f = write(MASTER + "    key_seed_file: ab.seed\n");
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).hasMessageContaining("key_seed_file");
    }

    @Test
    void aDeviceWithoutTheDriverIsRefused() throws Exception {
        Path f = write(MASTER.replace("driver: etsi014", "driver: simulated"));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).hasMessageContaining("modules[0].device");
        Path g = write(MASTER.replace("driver: etsi014", "driver: quantum-magic"));
        assertThatThrownBy(() -> AgentConfigLoader.load(g)).hasMessageContaining("modules[0].driver");
    }

    @Test
    void masterAndSlaveAreOnlyForDevices() throws Exception {
        Path f = write(AgentConfigLoaderTest.VALID.replace("role: TRANSMITTER", "role: master"));
        Files.writeString(dir.resolve("ab.seed"), "0f".repeat(32) + "\n");
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).hasMessageContaining("modules[0].role");
    }
}

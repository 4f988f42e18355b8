package org.qkdnf.agent.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.config.ConfigException;
import org.qkdnf.agent.sim.FibreEvent;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;

class AgentConfigLoaderTest {

    static final String VALID = String.join("\n",
            "node:",
            "  qkdn_id: a0000000-0000-4000-8000-00000000000a",
            "  name: BER-Mitte",
            "  location: { latitude_deg: 52.52, longitude_deg: 13.405, region: Berlin }",
            "controller:",
            "  target: 127.0.0.1:7443",
            "  tls: { certificate_chain: node.pem, private_key: node.key, trusted_ca: ca.pem }",
            "report_interval_ms: 500",
            "health: { host: 127.0.0.1, port: 0 }",
            "modules:",
            "  - qkdi_id: a1000000-0000-4000-8000-0000000000a1",
            "    role: TRANSMITTER",
            "    remote: { qkdn_id: b0000000-0000-4000-8000-00000000000b, qkdi_id: b1000000-0000-4000-8000-0000000000b1 }",
            "    channel:",
            "      length_km: 16.9",
            "      loss_db_per_km: 0.2",
            "      detector: { efficiency: 0.2, dark_count_probability: 1.0e-6 }",
            "      misalignment_error: 0.015",
            "      pulse_rate_hz: 1.0e9",
            "    events:",
            "      - { at_s: 20, type: CUT }",
            "      - { at_s: 5, type: DEGRADE, extra_loss_db_per_hour: 1800 }",
            "    key_seed_file: ab.seed",
            "    link: { qkdl_id: ab000000-0000-4000-8000-0000000000ab }",
            "");

    @TempDir
    Path dir;

    private Path write(String yaml) throws Exception {
        Files.writeString(dir.resolve("ab.seed"), "0f".repeat(32) + "\n");
        Path f = dir.resolve("agent.yaml");
        Files.writeString(f, yaml);
        return f;
    }

    @Test
    void loadsAValidFile() throws Exception {
        AgentConfig c = AgentConfigLoader.load(write(VALID));
        assertThat(c.node().name()).isEqualTo("BER-Mitte");
        assertThat(c.reportIntervalMs()).isEqualTo(500);
        assertThat(c.qberAlarmThreshold()).isEqualTo(AgentConfig.DEFAULT_QBER_ALARM_THRESHOLD);
        assertThat(c.tls().trustedCa()).isEqualTo(dir.resolve("ca.pem"));
        AgentConfig.Module m = c.modules().get(0);
        assertThat(m.role()).isEqualTo(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER);
        assertThat(m.channel().lengthKm()).isEqualTo(16.9);
        assertThat(m.schedule().events()).extracting(FibreEvent::type)
                .containsExactly(FibreEvent.Type.DEGRADE, FibreEvent.Type.CUT);
        assertThat(m.link().enabled()).isTrue();
        assertThat(m.keyBlockBits()).isEqualTo(AgentConfig.DEFAULT_KEY_BLOCK_BITS);
    }

    @Test
    void unknownKeyIsNamedWithItsLine() throws Exception {
        Path f = write(VALID.replace("report_interval_ms: 500", "report_intervall_ms: 500"));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 8").hasMessageContaining("report_intervall_ms");
    }

    @Test
    void wrongTypeIsNamedWithItsLineAndPath() throws Exception {
        Path f = write(VALID.replace("length_km: 16.9", "length_km: [16.9]"));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).hasMessageContaining("line 15")
                .hasMessageContaining("modules[0].channel.length_km");
    }

    @Test
    void badValuesNameTheirField() throws Exception {
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("qkdn_id: a0000000-0000-4000-8000-00000000000a",
                "qkdn_id: node-a")))).hasMessageContaining("node.qkdn_id: must be a UUID");
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("role: TRANSMITTER", "role: SENDER"))))
                .hasMessageContaining("modules[0].role: must be TRANSMITTER or RECEIVER");
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("efficiency: 0.2", "efficiency: 1.5"))))
                .hasMessageContaining("modules[0].channel.detector.efficiency");
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("type: CUT", "type: SNIP"))))
                .hasMessageContaining("modules[0].events[0].type");
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("report_interval_ms: 500",
                "report_interval_ms: 5")))).hasMessageContaining("report_interval_ms: must be between 100");
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("target: 127.0.0.1:7443",
                "target: nowhere")))).hasMessageContaining("controller.target");
        assertThatThrownBy(() -> AgentConfigLoader.load(write(VALID.replace("      pulse_rate_hz: 1.0e9\n", ""))))
                .hasMessageContaining("modules[0].channel.pulse_rate_hz: required");
    }

    @Test
    void missingOrMalformedSeedFileIsNamed() throws Exception {
        Path f = write(VALID.replace("ab.seed", "missing.seed"));
        assertThatThrownBy(() -> AgentConfigLoader.load(f)).hasMessageContaining("modules[0].key_seed_file: cannot read");
        Path g = write(VALID);
        Files.writeString(dir.resolve("ab.seed"), "xyz");
        assertThatThrownBy(() -> AgentConfigLoader.load(g)).hasMessageContaining("modules[0].key_seed_file")
                .hasMessageContaining("64 hex digits");
    }
}

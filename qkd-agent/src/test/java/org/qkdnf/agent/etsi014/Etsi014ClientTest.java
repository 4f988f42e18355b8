package org.qkdnf.agent.etsi014;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.URI;
import java.net.http.HttpClient;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class Etsi014ClientTest {

    private FakeDevice device;
    private Etsi014Client client;

    @BeforeEach
    void start() throws Exception {
        device = new FakeDevice();
        client = new Etsi014Client(device.url(), HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build());
    }

    @AfterEach
    void stop() {
        device.close();
    }

    @Test
    void statusReadsTheStandardsMembersAndIgnoresExtensions() throws Exception {
        DeviceStatus s = client.status("sae-b");
        assertThat(s).isEqualTo(new DeviceStatus(256, 100000, 16, 8192, 64));
        assertThat(device.requests).containsExactly("GET /api/v1/keys/sae-b/status");
    }

    @Test
    void encKeysPostsNumberAndSizeAndDecodesTheKeys() throws Exception {
        List<DeviceKey> keys = client.encKeys("sae-b", 3, 512);
        assertThat(device.requests).containsExactly("POST /api/v1/keys/sae-b/enc_keys");
        assertThat(FakeDevice.JSON.readTree(device.bodies.get(0)))
                .isEqualTo(FakeDevice.JSON.readTree("{\"number\":3,\"size\":512}"));
        assertThat(keys).hasSize(3).allSatisfy(k -> assertThat(k.key()).hasSize(64));
        assertThat(keys).extracting(DeviceKey::keyId).containsExactlyElementsOf(device.forSlave.keySet());
    }

    @Test
    void decKeysPostsTheKeyIdsInOrderAndChecksTheAnswer() throws Exception {
        List<DeviceKey> sent = client.encKeys("sae-b", 2, 256);
        List<UUID> ids = List.of(sent.get(1).keyId(), sent.get(0).keyId());
        List<DeviceKey> got = client.decKeys("sae-a", ids);
        assertThat(device.requests.get(1)).isEqualTo("POST /api/v1/keys/sae-a/dec_keys");
        assertThat(FakeDevice.JSON.readTree(device.bodies.get(1))).isEqualTo(FakeDevice.JSON.readTree(
                "{\"key_IDs\":[{\"key_ID\":\"" + ids.get(0) + "\"},{\"key_ID\":\"" + ids.get(1) + "\"}]}"));
        assertThat(got.get(0).key()).isEqualTo(sent.get(1).key());
        assertThat(got.get(1).key()).isEqualTo(sent.get(0).key());
    }

    @Test
    void baseUrlMayNameTheKeysPath() throws Exception {
        Etsi014Client c = new Etsi014Client(URI.create(device.url() + "/api/v1/keys/"), HttpClient.newHttpClient());
        c.status("sae-b");
        assertThat(device.requests).containsExactly("GET /api/v1/keys/sae-b/status");
    }

    @Test
    void errorCodesBecomeKindsWithTheStandardsMessage() {
        device.override = p -> new FakeDevice.Answer(400, "{\"message\":\"bad request\",\"details\":[{\"size\":\"x\"}]}");
        assertThatThrownBy(() -> client.encKeys("sae-b", 1, 256)).isInstanceOfSatisfying(Etsi014Exception.class, e -> {
            assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.BAD_REQUEST);
            assertThat(e.httpStatus()).isEqualTo(400);
            assertThat(e.getMessage()).contains("enc_keys", "400", "bad request");
        });
        device.override = p -> new FakeDevice.Answer(401, "{\"message\":\"unauthorized\"}");
        assertThatThrownBy(() -> client.status("sae-b")).isInstanceOfSatisfying(Etsi014Exception.class,
                e -> assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.UNAUTHORIZED));
        device.override = p -> new FakeDevice.Answer(503, "{\"message\":\"no key yet\"}");
        assertThatThrownBy(() -> client.decKeys("sae-a", List.of(UUID.randomUUID())))
                .isInstanceOfSatisfying(Etsi014Exception.class, e -> {
                    assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.UNAVAILABLE);
                    assertThat(e.getMessage()).contains("no key yet");
                });
        device.override = p -> new FakeDevice.Answer(500, "not json");
        assertThatThrownBy(() -> client.status("sae-b")).isInstanceOfSatisfying(Etsi014Exception.class,
                e -> assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.UNREACHABLE));
    }

    @Test
    void answersThatBreakTheStandardAreRefusedWithoutQuotingKey() {
        String key = Base64.getEncoder().encodeToString(new byte[] {1, 2, 3, 4, 5, 6, 7, 8});
        device.override = p -> new FakeDevice.Answer(200, "{\"keys\":[{\"key_ID\":\"not-a-uuid\",\"key\":\"" + key + "\"}]}");
        assertThatThrownBy(() -> client.encKeys("sae-b", 1, 64)).isInstanceOfSatisfying(Etsi014Exception.class, e -> {
            assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.PROTOCOL);
            assertThat(e.getMessage()).contains("key_ID").doesNotContain(key);
        });
        device.override = p -> new FakeDevice.Answer(200, "{\"keys\":[{\"key_ID\":\"" + UUID.randomUUID()
                + "\",\"key\":\"" + key + "\"}]}");
        assertThatThrownBy(() -> client.encKeys("sae-b", 1, 128)).isInstanceOfSatisfying(Etsi014Exception.class, e -> {
            assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.PROTOCOL);
            assertThat(e.getMessage()).contains("64 bits").doesNotContain(key);
        });
        assertThatThrownBy(() -> client.encKeys("sae-b", 2, 64)).isInstanceOfSatisfying(Etsi014Exception.class,
                e -> assertThat(e.getMessage()).contains("asked for 2 keys, got 1"));
        device.override = p -> new FakeDevice.Answer(200, "{\"keys\":[{\"key_ID\":\"" + UUID.randomUUID()
                + "\",\"key\":\"" + key + "\"}");
        assertThatThrownBy(() -> client.encKeys("sae-b", 1, 64)).isInstanceOfSatisfying(Etsi014Exception.class, e -> {
            assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.PROTOCOL);
            assertThat(e.getMessage()).doesNotContain(key);
        });
        device.override = p -> new FakeDevice.Answer(200, "{\"keys\":[{\"key_ID\":\"" + UUID.randomUUID()
                + "\",\"key\":\"" + key + "\"}]}");
        assertThatThrownBy(() -> client.decKeys("sae-a", List.of(UUID.randomUUID())))
                .isInstanceOfSatisfying(Etsi014Exception.class, e -> assertThat(e.getMessage()).contains("asked for"));
    }

    @Test
    void anAbsentDeviceIsUnreachable() {
        device.close();
        assertThatThrownBy(() -> client.status("sae-b")).isInstanceOfSatisfying(Etsi014Exception.class,
                e -> assertThat(e.kind()).isEqualTo(Etsi014Exception.Kind.UNREACHABLE));
    }

    @Test
    void aDeviceKeyNeverPrintsItsKey() {
        byte[] key = {42, 43};
        DeviceKey k = new DeviceKey(UUID.fromString("00000000-0000-4000-8000-000000000001"), key);
        assertThat(k.toString()).contains(k.keyId().toString(), "16 bits")
                .doesNotContain(java.util.Arrays.toString(key))
                .doesNotContain(java.util.HexFormat.of().formatHex(key))
                .doesNotContain(java.util.Base64.getEncoder().encodeToString(key));
    }
}

package org.qkdnf.kms.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.UUID;

import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.Test;
import org.qkdnf.kms.api.DeliveredKey;

class KeyContainerJsonTest {

    @Test
    void writesExactlyWhatJacksonWritesForTheStandardsKeyContainer() throws Exception {
        SecureRandom random = new SecureRandom();
        ObjectMapper json = new ObjectMapper();
        for (int n : new int[] {0, 1, 2, 128}) {
            for (int size : new int[] {8, 31, 32, 33, 1024}) {
                List<DeliveredKey> keys = new ArrayList<>();
                List<Etsi014Json.Key> expected = new ArrayList<>();
                for (int i = 0; i < n; i++) {
                    byte[] k = new byte[size];
                    random.nextBytes(k);
                    UUID id = i == 0 ? new UUID(0, 0) : UUID.randomUUID();
                    keys.add(new DeliveredKey(id, k));
                    expected.add(new Etsi014Json.Key(id.toString(), null, Base64.getEncoder().encodeToString(k), null));
                }
                assertThat(new String(KeyContainerJson.write(keys), java.nio.charset.StandardCharsets.US_ASCII))
                        .as(n + " keys of " + size + " bytes")
                        .isEqualTo(json.writeValueAsString(new Etsi014Json.KeyContainer(expected, null)));
            }
        }
    }
}

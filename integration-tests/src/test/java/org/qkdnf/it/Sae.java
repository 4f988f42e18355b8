package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.qkdnf.kms.KmsAgent;

/**
 * An SAE speaking ETSI GS QKD 014 over HTTPS to key managers, with its own certificate (OU sae,
 * CN its SAE id) from the chain's CA. One key per call, 256 bits, the default size.
 *
 * <p>Thread-safe (the JDK's HttpClient is).
 */
final class Sae {

    static final ObjectMapper JSON = new ObjectMapper();

    final String id;
    private final HttpClient http;

    Sae(KeyChain chain, String id) throws Exception {
        this.id = id;
        this.http = KeyDeliveryTest.client(chain, id);
    }

    /** {@code GET status} for the pair this SAE (master) → {@code slave}; the keys stored, or -1 on an error. */
    long storedKeyCount(KmsAgent kme, String slave) throws Exception {
        HttpResponse<String> r = get(kme, slave + "/status");
        return r.statusCode() == 200 ? JSON.readTree(r.body()).get("stored_key_count").asLong() : -1;
    }

    /** {@code GET enc_keys}: one new key for {@code slave}, or null with the answer when refused. */
    Key encKey(KmsAgent kme, String slave) throws Exception {
        HttpResponse<String> r = get(kme, slave + "/enc_keys");
        return r.statusCode() == 200 ? Key.of(JSON.readTree(r.body()).get("keys").get(0), r) : Key.refused(r);
    }

    /** {@code GET dec_keys?key_ID=}: the key {@code master} got under {@code keyId}, or null with the answer. */
    Key decKey(KmsAgent kme, String master, String keyId) throws Exception {
        HttpResponse<String> r = get(kme, master + "/dec_keys?key_ID=" + keyId);
        return r.statusCode() == 200 ? Key.of(JSON.readTree(r.body()).get("keys").get(0), r) : Key.refused(r);
    }

    /**
     * {@code sae-alice} (master, at the chain's first key manager) takes {@code count} keys for
     * {@code sae-bob}, who gets each of them, identical, at the last one.
     */
    static void assertAliceAndBobShareKeys(KeyChain chain, int count) throws Exception {
        Sae alice = new Sae(chain, "sae-alice");
        Sae bob = new Sae(chain, "sae-bob");
        KmsAgent source = chain.kms[0];
        KmsAgent destination = chain.kms[chain.kms.length - 1];
        Await.until(Duration.ofSeconds(60), () -> {
            try {
                return alice.storedKeyCount(source, bob.id) >= count;
            } catch (Exception e) {
                return false;
            }
        });
        for (int i = 0; i < count; i++) {
            Key k = alice.encKey(source, bob.id);
            assertThat(k.status).as(k.toString()).isEqualTo(200);
            Key d = bob.decKey(destination, alice.id, k.id);
            assertThat(d.status).as(d.toString()).isEqualTo(200);
            assertThat(d.id).isEqualTo(k.id);
            assertThat(d.key).isEqualTo(k.key);
        }
    }

    private HttpResponse<String> get(KmsAgent kme, String path) throws Exception {
        return http.send(HttpRequest.newBuilder(URI.create("https://localhost:" + kme.etsi014Port() + "/api/v1/keys/"
                + path)).timeout(Duration.ofSeconds(15)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    /**
     * One key as ETSI 014 returns it ({@code key} is base64), or a refusal: {@code id} null,
     * {@code status} and {@code body} the HTTP answer. {@code toString} never shows the key.
     */
    static final class Key {
        final String id;
        final String key;
        final int status;
        final String body;

        private Key(String id, String key, int status, String body) {
            this.id = id;
            this.key = key;
            this.status = status;
            this.body = body;
        }

        static Key of(JsonNode k, HttpResponse<String> r) {
            return new Key(k.get("key_ID").asText(), k.get("key").asText(), r.statusCode(), null);
        }

        static Key refused(HttpResponse<String> r) {
            return new Key(null, null, r.statusCode(), r.body());
        }

        boolean ok() {
            return id != null;
        }

        @Override
        public String toString() {
            return ok() ? "key " + id : "HTTP " + status + " " + body;
        }
    }
}

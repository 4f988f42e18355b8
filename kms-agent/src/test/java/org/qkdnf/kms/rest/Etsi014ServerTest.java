package org.qkdnf.kms.rest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Set;

import javax.net.ssl.SSLContext;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;

/** ETSI GS QKD 014 over real HTTPS with client certificates on 127.0.0.1. */
class Etsi014ServerTest {

    @TempDir
    static Path pki;
    static MemoryKeyDelivery keys = new MemoryKeyDelivery();
    static Etsi014Server server;
    static HttpClient master;
    static HttpClient slave;
    static HttpClient kmsCert;
    static TlsFiles kme;
    static final ObjectMapper JSON = new ObjectMapper();

    @BeforeAll
    static void start() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create("test-provider");
        kme = issue(ca, "kme-1", Role.KMS);
        server = Etsi014Server.start(new InetSocketAddress("127.0.0.1", 0), kme, keys, 4);
        master = client(issue(ca, MemoryKeyDelivery.MASTER, Role.SAE));
        slave = client(issue(ca, MemoryKeyDelivery.SLAVE, Role.SAE));
        kmsCert = client(issue(ca, "kme-2", Role.KMS));
    }

    @AfterAll
    static void stop() {
        server.close();
    }

    static TlsFiles issue(DevCertificateAuthority ca, String id, Role role) throws Exception {
        return issue(ca, id, role, pki);
    }

    static TlsFiles issue(DevCertificateAuthority ca, String id, Role role, Path dir) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(id, role, "test-provider").writeTo(dir, id);
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    static HttpClient client(TlsFiles tls) throws Exception {
        SSLContext ctx = JdkTls.clientContext(tls);
        return HttpClient.newBuilder().sslContext(ctx).version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(Duration.ofSeconds(5)).build();
    }

    static URI uri(String pathAndQuery) {
        return URI.create("https://localhost:" + server.port() + pathAndQuery);
    }

    static HttpResponse<String> get(HttpClient c, String pathAndQuery) throws Exception {
        return c.send(HttpRequest.newBuilder(uri(pathAndQuery)).GET().build(), HttpResponse.BodyHandlers.ofString());
    }

    static HttpResponse<String> post(HttpClient c, String path, String json) throws Exception {
        return c.send(HttpRequest.newBuilder(uri(path)).header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(json)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static Set<String> fields(JsonNode n) {
        Set<String> s = new HashSet<>();
        for (Iterator<String> it = n.fieldNames(); it.hasNext(); ) {
            s.add(it.next());
        }
        return s;
    }

    @Test
    void statusHasExactlyTheStandardsFields() throws Exception {
        HttpResponse<String> r = get(master, "/api/v1/keys/sae-slave/status");
        assertThat(r.statusCode()).isEqualTo(200);
        assertThat(r.headers().firstValue("content-type")).hasValue("application/json");
        JsonNode s = JSON.readTree(r.body());
        assertThat(fields(s)).containsExactlyInAnyOrder("source_KME_ID", "target_KME_ID", "master_SAE_ID",
                "slave_SAE_ID", "key_size", "stored_key_count", "max_key_count", "max_key_per_request",
                "max_key_size", "min_key_size", "max_SAE_ID_count");
        assertThat(s.get("master_SAE_ID").asText()).isEqualTo("sae-master");
        assertThat(s.get("key_size").asInt()).isEqualTo(256);
    }

    @Test
    void masterGetsKeysAndTheSlaveGetsTheSameOnceByKeyId() throws Exception {
        JsonNode one = JSON.readTree(get(master, "/api/v1/keys/sae-slave/enc_keys").body());
        assertThat(fields(one)).containsExactly("keys");
        JsonNode k = one.get("keys").get(0);
        assertThat(fields(k)).containsExactlyInAnyOrder("key_ID", "key");
        assertThat(Base64.getDecoder().decode(k.get("key").asText())).hasSize(32);

        HttpResponse<String> r = post(master, "/api/v1/keys/sae-slave/enc_keys",
                "{\"number\":3,\"size\":512,\"extension_optional\":[{\"abc\":1}]}");
        assertThat(r.statusCode()).isEqualTo(200);
        JsonNode three = JSON.readTree(r.body()).get("keys");
        assertThat(three).hasSize(3);

        String id = k.get("key_ID").asText();
        JsonNode dec = JSON.readTree(get(slave, "/api/v1/keys/sae-master/dec_keys?key_ID=" + id).body());
        assertThat(dec.get("keys").get(0).get("key").asText()).isEqualTo(k.get("key").asText());

        String body = "{\"key_IDs\":[{\"key_ID\":\"" + three.get(0).get("key_ID").asText() + "\"},{\"key_ID\":\""
                + three.get(2).get("key_ID").asText() + "\",\"key_ID_extension\":{}}],\"key_IDs_extension\":{}}";
        JsonNode two = JSON.readTree(post(slave, "/api/v1/keys/sae-master/dec_keys", body).body()).get("keys");
        assertThat(two.get(1).get("key").asText()).isEqualTo(three.get(2).get("key").asText());

        HttpResponse<String> again = get(slave, "/api/v1/keys/sae-master/dec_keys?key_ID=" + id);
        assertThat(again.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(again.body()).get("message").asText()).contains(id);
    }

    @Test
    void badRequestsGet400NamingTheField() throws Exception {
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?size=100"), 400, "size", "multiple of 8");
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?size=16"), 400, "size", "min_key_size");
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?size=16384"), 400, "size", "max_key_size");
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?number=0"), 400, "number", "between 1");
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?number=129"), 400, "number", "128");
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?number=x"), 400, "number", "integer");
        assertError(get(master, "/api/v1/keys/sae-slave/enc_keys?count=1"), 400, "count", "unknown");
        assertError(post(master, "/api/v1/keys/sae-slave/enc_keys", "{\"additional_slave_SAE_IDs\":[\"x\"]}"),
                400, "additional_slave_SAE_IDs", "multicast");
        assertError(post(master, "/api/v1/keys/sae-slave/enc_keys", "{\"extension_mandatory\":[{\"route\":1}]}"),
                400, "extension_mandatory", "route");
        assertError(post(master, "/api/v1/keys/sae-slave/enc_keys", "{\"number\":"), 400, "body", "JSON");
        assertError(post(master, "/api/v1/keys/sae-slave/enc_keys", "{\"numbr\":1}"), 400, "numbr", "");
        assertError(post(master, "/api/v1/keys/sae-slave/enc_keys", "{\"size\":\"256\"}"), 400, "size", "");
        assertError(get(slave, "/api/v1/keys/sae-master/dec_keys?key_ID=abc"), 400, "key_ID", "UUID");
        assertError(get(slave, "/api/v1/keys/sae-master/dec_keys"), 400, "key_ID", "required");
        assertError(post(slave, "/api/v1/keys/sae-master/dec_keys", "{\"key_IDs\":[]}"), 400, "key_IDs", "");
        assertError(post(slave, "/api/v1/keys/sae-master/dec_keys", "{\"key_IDs\":[{}]}"), 400, "key_IDs[0].key_ID",
                "required");
    }

    @Test
    void aThirdSaeOrANonSaeCertificateIsUnauthorized() throws Exception {
        HttpResponse<String> r = get(slave, "/api/v1/keys/sae-slave/enc_keys");
        assertThat(r.statusCode()).isEqualTo(401);
        assertThat(JSON.readTree(r.body()).get("message").asText()).contains("no key service");
        HttpResponse<String> k = get(kmsCert, "/api/v1/keys/sae-slave/status");
        assertThat(k.statusCode()).isEqualTo(401);
        assertThat(k.body()).contains("client_certificate");
    }

    @Test
    void noClientCertificateIsRefusedInTheHandshake() throws Exception {
        SSLContext trustOnly = SSLContext.getInstance("TLS");
        javax.net.ssl.TrustManagerFactory tmf = javax.net.ssl.TrustManagerFactory.getInstance(
                javax.net.ssl.TrustManagerFactory.getDefaultAlgorithm());
        java.security.KeyStore ks = java.security.KeyStore.getInstance("PKCS12");
        ks.load(null, null);
        try (var in = java.nio.file.Files.newInputStream(kme.trustedCa())) {
            ks.setCertificateEntry("ca", java.security.cert.CertificateFactory.getInstance("X.509")
                    .generateCertificate(in));
        }
        tmf.init(ks);
        trustOnly.init(null, tmf.getTrustManagers(), null);
        HttpClient anonymous = HttpClient.newBuilder().sslContext(trustOnly).version(HttpClient.Version.HTTP_1_1)
                .build();
        assertThatThrownBy(() -> get(anonymous, "/api/v1/keys/sae-slave/status")).isInstanceOf(IOException.class);
    }

    @Test
    void serverTroubleIs503AndUnknownPathsAndMethodsAreRefused() throws Exception {
        keys.unavailable = true;
        try {
            assertError(get(master, "/api/v1/keys/sae-slave/enc_keys"), 503, "", "key service down");
        } finally {
            keys.unavailable = false;
        }
        assertThat(get(master, "/api/v1/keys/sae-slave/keys").statusCode()).isEqualTo(404);
        assertThat(get(master, "/api/v2/keys/sae-slave/status").statusCode()).isEqualTo(404);
        assertThat(post(master, "/api/v1/keys/sae-slave/status", "{}").statusCode()).isEqualTo(405);
    }

    @Test
    void keepAliveServesManyRequestsOnOneConnection() throws Exception {
        for (int i = 0; i < 200; i++) {
            assertThat(get(master, "/api/v1/keys/sae-slave/enc_keys").statusCode()).isEqualTo(200);
        }
    }

    private static void assertError(HttpResponse<String> r, int status, String field, String text) throws Exception {
        assertThat(r.statusCode()).as(r.body()).isEqualTo(status);
        JsonNode e = JSON.readTree(r.body());
        assertThat(e.has("message")).isTrue();
        String all = e.toString();
        assertThat(all).contains(field).contains(text);
    }
}

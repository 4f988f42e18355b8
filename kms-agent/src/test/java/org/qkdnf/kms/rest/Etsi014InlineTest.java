package org.qkdnf.kms.rest;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import javax.net.ssl.SSLSocket;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.JdkTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.api.DeliveredKey;
import org.qkdnf.kms.api.KeyDeliveryException;
import org.qkdnf.kms.api.KeySupplyStatus;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;

/**
 * Answers from memory on the network thread, the rest on a blocking thread, over real HTTPS with
 * client certificates; pipelined requests mixing both get their answers in order.
 */
class Etsi014InlineTest {

    static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path pki;
    private final MemoryKeyDelivery keys = new MemoryKeyDelivery();
    private final AtomicInteger inlineKeys = new AtomicInteger();
    private final AtomicBoolean ready = new AtomicBoolean(true);
    private Etsi014Server server;
    private TlsFiles master;
    private TlsFiles slave;

    @BeforeEach
    void start() throws Exception {
        DevCertificateAuthority ca = DevCertificateAuthority.create("test-provider");
        TlsFiles kme = Etsi014ServerTest.issue(ca, "kme-1", Role.KMS, pki);
        master = Etsi014ServerTest.issue(ca, MemoryKeyDelivery.MASTER, Role.SAE, pki);
        slave = Etsi014ServerTest.issue(ca, MemoryKeyDelivery.SLAVE, Role.SAE, pki);
        InlineKeyDelivery inline = new InlineKeyDelivery() {
            @Override
            public KeySupplyStatus status(String m, String s) throws KeyDeliveryException {
                return keys.status(m, s);
            }

            @Override
            public List<DeliveredKey> readyEncKeys(String m, String s, int number, int sizeBits)
                    throws KeyDeliveryException {
                if (!ready.get()) {
                    return null;
                }
                inlineKeys.addAndGet(number);
                return keys.encKeys(m, s, number, sizeBits);
            }
        };
        server = Etsi014Server.start(new InetSocketAddress("127.0.0.1", 0), kme, keys, inline, 2);
    }

    @AfterEach
    void stop() {
        server.close();
    }

    @Test
    void readyKeysAreServedInlineAndTheRestOnABlockingThreadInRequestOrder() throws Exception {
        // One connection, requests written at once, each list answered in order.
        List<String> answers = pipeline(master, "/api/v1/keys/sae-slave/enc_keys", "/api/v1/keys/sae-slave/enc_keys",
                "/api/v1/keys/sae-slave/status");
        assertThat(answers).hasSize(3);
        assertThat(JSON.readTree(answers.get(0)).get("keys")).hasSize(1);
        assertThat(JSON.readTree(answers.get(1)).get("keys")).hasSize(1);
        assertThat(JSON.readTree(answers.get(2)).get("key_size").asInt()).isEqualTo(256);
        assertThat(inlineKeys).hasValue(2);

        ready.set(false);
        // enc_keys goes to a blocking thread; the status behind it is answered inline, after it.
        List<String> slow = pipeline(master, "/api/v1/keys/sae-slave/enc_keys", "/api/v1/keys/sae-slave/status");
        assertThat(inlineKeys).as("not ready: served by encKeys").hasValue(2);
        String id = JSON.readTree(slow.get(0)).get("keys").get(0).get("key_ID").asText();
        String key = JSON.readTree(slow.get(0)).get("keys").get(0).get("key").asText();

        List<String> dec = pipeline(slave, "/api/v1/keys/sae-master/dec_keys?key_ID=" + id,
                "/api/v1/keys/sae-master/status", "/api/v1/keys/sae-master/dec_keys?key_ID=" + id);
        JsonNode first = JSON.readTree(dec.get(0));
        assertThat(first.get("keys").get(0).get("key").asText()).isEqualTo(key);
        assertThat(JSON.readTree(dec.get(1)).has("message")).as("the slave has no status for this pair").isTrue();
        assertThat(JSON.readTree(dec.get(2)).get("message").asText()).contains("already delivered");
    }

    /** Writes the GET requests back to back on one TLS connection and reads the answers' bodies in order. */
    private List<String> pipeline(TlsFiles sae, String... paths) throws Exception {
        try (SSLSocket s = (SSLSocket) JdkTls.clientContext(sae).getSocketFactory().createSocket("localhost",
                server.port())) {
            StringBuilder requests = new StringBuilder();
            for (String p : paths) {
                requests.append("GET ").append(p).append(" HTTP/1.1\r\nHost: localhost\r\n\r\n");
            }
            OutputStream out = s.getOutputStream();
            out.write(requests.toString().getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = s.getInputStream();
            List<String> bodies = new ArrayList<>();
            for (int i = 0; i < paths.length; i++) {
                String head = readHead(in);
                int length = Integer.parseInt(head.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
                bodies.add(new String(in.readNBytes(length), StandardCharsets.UTF_8));
            }
            return bodies;
        }
    }

    private static String readHead(InputStream in) throws Exception {
        ByteArrayOutputStream head = new ByteArrayOutputStream();
        while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                throw new java.io.EOFException("connection closed after " + head);
            }
            head.write(b);
        }
        return head.toString(StandardCharsets.US_ASCII);
    }
}

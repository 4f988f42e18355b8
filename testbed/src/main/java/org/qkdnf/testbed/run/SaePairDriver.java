package org.qkdnf.testbed.run;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.concurrent.atomic.AtomicLong;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Two SAEs using a key service the way applications do over ETSI GS QKD 014: the master asks its
 * key manager for a key (enc_keys), hands the key id to the slave (here: in memory), the slave asks
 * its own key manager for that id (dec_keys). Every key is compared at both ends; a difference is
 * counted as a mismatch, never logged with its bits.
 *
 * <p>Threads: {@link #once()} is called by one scheduler thread; the counters are read by any.
 */
final class SaePairDriver {

    private static final Logger log = LoggerFactory.getLogger(SaePairDriver.class);
    private static final ObjectMapper JSON = new ObjectMapper();
    static final int KEY_BITS = 256;

    private final String name;
    private final HttpClient master;
    private final HttpClient slave;
    private final URI enc;
    private final String decBase;
    final AtomicLong keysDelivered = new AtomicLong();
    final AtomicLong mismatches = new AtomicLong();
    final AtomicLong failedRequests = new AtomicLong();
    /** When the pair started asking, and interruption bookkeeping; written by the scheduler thread only. */
    private final long startedNanos = System.nanoTime();
    private volatile long firstKeyNanos;
    private long interruptedSinceNanos;
    private final AtomicLong interruptedNanos = new AtomicLong();

    /**
     * @param masterUrl https://host:port of the master's key manager
     * @param slaveUrl  https://host:port of the slave's key manager
     */
    SaePairDriver(String name, HttpClient master, HttpClient slave, String masterUrl, String slaveUrl,
                  String masterSae, String slaveSae) {
        this.name = name;
        this.master = master;
        this.slave = slave;
        this.enc = URI.create(masterUrl + "/api/v1/keys/" + slaveSae + "/enc_keys?number=1&size=" + KEY_BITS);
        this.decBase = slaveUrl + "/api/v1/keys/" + masterSae + "/dec_keys?key_ID=";
    }

    /** A refused request after keys had flowed: an interruption starts (if none is running). */
    private void interrupted() {
        if (firstKeyNanos != 0 && interruptedSinceNanos == 0) {
            interruptedSinceNanos = System.nanoTime();
        }
    }

    private void delivered() {
        long now = System.nanoTime();
        if (firstKeyNanos == 0) {
            firstKeyNanos = now;
        }
        if (interruptedSinceNanos != 0) {
            interruptedNanos.addAndGet(now - interruptedSinceNanos);
            interruptedSinceNanos = 0;
        }
    }

    /** Seconds without key after the first key, ongoing interruption not counted. */
    double interruptionS() {
        return interruptedNanos.get() / 1e9;
    }

    /** Key delivered per second since the first key, bit/s (0 before it). */
    double deliveredBps() {
        long first = firstKeyNanos;
        if (first == 0) {
            return 0;
        }
        double s = (System.nanoTime() - first) / 1e9;
        return s <= 0 ? 0 : keysDelivered.get() * KEY_BITS / s;
    }

    /** One key end to end. */
    void once() {
        try {
            HttpResponse<String> e = master.send(HttpRequest.newBuilder(enc).timeout(Duration.ofSeconds(10)).build(),
                    HttpResponse.BodyHandlers.ofString());
            if (e.statusCode() != 200) {
                failedRequests.incrementAndGet();
                interrupted();
                log.debug("key service {}: enc_keys answered {}", name, e.statusCode());
                return;
            }
            JsonNode k = JSON.readTree(e.body()).get("keys").get(0);
            String keyId = k.get("key_ID").asText();
            HttpResponse<String> d = slave.send(HttpRequest.newBuilder(URI.create(decBase + keyId))
                    .timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
            if (d.statusCode() != 200) {
                failedRequests.incrementAndGet();
                interrupted();
                log.warn("key service {}: dec_keys of key_ID {} answered {}", name, keyId, d.statusCode());
                return;
            }
            JsonNode s = JSON.readTree(d.body()).get("keys").get(0);
            byte[] a = Base64.getDecoder().decode(k.get("key").asText());
            byte[] b = Base64.getDecoder().decode(s.get("key").asText());
            if (!keyId.equals(s.get("key_ID").asText()) || !Arrays.equals(a, b)) {
                mismatches.incrementAndGet();
                log.error("key service {}: key_ID {} differs between master and slave", name, keyId);
            } else {
                keysDelivered.incrementAndGet();
                delivered();
            }
        } catch (IOException e) {
            failedRequests.incrementAndGet();
            interrupted();
            log.debug("key service {}: request failed: {}", name, e.toString());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (RuntimeException e) {
            failedRequests.incrementAndGet();
            log.warn("key service {}: unexpected answer: {}", name, e.toString());
        }
    }
}

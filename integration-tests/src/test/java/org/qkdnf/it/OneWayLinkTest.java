package org.qkdnf.it;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.http.HttpClient;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.relay.LinkRelayCounters;

/**
 * A link whose key services all run one way keeps supplying key. Its blocks alternate between two
 * lanes in one key supply stream, and a full lane pauses that stream; the lane nobody draws fills
 * first, so without its owner trimming it the link, and the service, would stop once it held
 * {@code lane_max_bits}. Real qkd-agents, key managers, Kq, Kk and ETSI 014, all over mTLS.
 */
class OneWayLinkTest {

    /** Small lanes, so the idle one fills within seconds. */
    private static final long LANE_MAX_BITS = 1L << 19;

    @TempDir
    Path dir;

    @Test
    void aServiceRunningOneWayGetsFarMoreKeyThanTwoLanesHold() throws Exception {
        try (KeyChain chain = new KeyChain(dir, 2, LANE_MAX_BITS)) {
            UUID serviceId = UUID.randomUUID();
            // its buffer (2 Mbit) is larger than both lanes together
            KeyServiceDefinition service = new KeyServiceDefinition(serviceId, "sae-alice", "sae-bob", chain.nodes,
                    chain.links, 1L << 21);
            for (var k : chain.kms) {
                k.services().install(service);
            }
            String link = chain.links.get(0);
            String idleLane = LaneIds.of(link, chain.nodes.get(1));

            // Without trims the relayed key stops at about a lane's worth: the drawn lane gets as many
            // blocks as the idle one until that is full, and then the link's key supply pauses.
            long goal = 2 * LANE_MAX_BITS;
            long deadline = System.nanoTime() + Duration.ofSeconds(90).toNanos();
            while (chain.kms[0].services().counters().bitsRelayed() < goal) {
                assertThat(System.nanoTime()).as(() -> goal + " bits relayed within 90 s; relayed "
                        + chain.kms[0].services().counters().bitsRelayed() + ", idle lane at n0 "
                        + levels(chain, 0, idleLane) + ", at n1 " + levels(chain, 1, idleLane))
                        .isLessThan(deadline);
                Thread.sleep(200);
            }

            LinkRelayCounters owner = chain.kms[1].relay().counters().get(link);
            assertThat(owner.trimmedBits()).as("the idle lane's owner trimmed it").isPositive();
            PoolLevels atOwner = chain.kms[1].pools().levels(idleLane);
            PoolLevels atPeer = chain.kms[0].pools().levels(idleLane);
            assertThat(atOwner.discardedBits()).isPositive();
            assertThat(atPeer.discardedBits()).isPositive();
            assertThat(chain.kms[0].relay().counters().get(link).failures()).isZero();
            assertThat(chain.kms[1].relay().counters().get(link).failures()).isZero();

            // and the key still matches at both ends
            HttpClient alice = KeyDeliveryTest.client(chain, "sae-alice");
            HttpClient bob = KeyDeliveryTest.client(chain, "sae-bob");
            String source = "https://localhost:" + chain.kms[0].etsi014Port() + "/api/v1/keys/";
            String destination = "https://localhost:" + chain.kms[1].etsi014Port() + "/api/v1/keys/";
            for (int i = 0; i < 5; i++) {
                HttpResponse<String> enc = KeyDeliveryTest.get(alice, source + "sae-bob/enc_keys");
                assertThat(enc.statusCode()).as(enc.body()).isEqualTo(200);
                JsonNode k = KeyDeliveryTest.JSON.readTree(enc.body()).get("keys").get(0);
                HttpResponse<String> dec = KeyDeliveryTest.get(bob, destination + "sae-alice/dec_keys?key_ID="
                        + k.get("key_ID").asText());
                assertThat(dec.statusCode()).as(dec.body()).isEqualTo(200);
                assertThat(KeyDeliveryTest.JSON.readTree(dec.body()).get("keys").get(0).get("key").asText())
                        .isEqualTo(k.get("key").asText());
            }
        }
    }

    private static String levels(KeyChain chain, int node, String lane) {
        try {
            return chain.kms[node].pools().levels(lane).toString();
        } catch (RuntimeException e) {
            return "(no pool yet)";
        }
    }
}

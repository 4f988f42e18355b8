package org.qkdnf.testbed.report;

import java.time.Instant;
import java.util.List;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;

/**
 * The testbed's JSON report (schema in the module README): what each provider's controller sees at
 * the end of a run. Also the snapshot the live view renders. Immutable.
 *
 * @param schemaVersion bumped on any incompatible change of this schema
 * @param scenario      the scenario's name
 * @param startedAt     when the run started (UTC, ISO-8601)
 * @param durationS     seconds from start to this snapshot
 * @param providers     one entry per provider of the scenario
 */
@JsonPropertyOrder({"schema_version", "scenario", "started_at", "duration_s", "providers"})
public record TestbedReport(int schemaVersion, String scenario, Instant startedAt, double durationS,
                            List<ProviderReport> providers) {

    public static final int SCHEMA_VERSION = 1;

    /**
     * @param providerId the provider's id
     * @param nodes      the scenario's nodes, in file order, as the controller sees them
     * @param links      the scenario's links, in file order, then any link only the controller knows
     */
    @JsonPropertyOrder({"provider_id", "nodes", "links", "key_services", "key_management"})
    public record ProviderReport(String providerId, List<NodeReport> nodes, List<LinkReport> links,
                                 List<KeyServiceReport> keyServices, KeyManagementReport keyManagement) {
    }

    /**
     * One key service as its SAEs experienced it: keys fetched by the master (enc_keys) and then by
     * the slave (dec_keys), and whether both got the same bits.
     *
     * @param name             service name from the scenario
     * @param masterSae        master SAE id
     * @param slaveSae         slave SAE id
     * @param route            node names of the route keys flow on now, master's node first (empty
     *                         while a requested service has none)
     * @param protectionRoute  node names of a ONE_PLUS_ONE service's second, node-disjoint route,
     *                         reserved for a switch (empty for other services or while it has none)
     * @param routing          PINNED (route from the scenario) or the controller's protection mode
     * @param state            PINNED services: ACTIVE; requests: the controller's state (PENDING,
     *                         ACTIVE, DEGRADED, FAILED)
     * @param reroutes         times the controller moved the service to another route
     * @param reservedBps      key rate the controller admitted and reserved on the links of each of
     *                         its routes, bit/s (0 while it holds no route, and for pinned routes,
     *                         which are installed without admission)
     * @param deliveredBps     key rate the SAE pair received since its first key, bit/s
     * @param interruptionS    seconds the SAEs got no key after their first key (refused requests
     *                         until the next key), summed
     * @param keysDelivered    keys both SAEs received
     * @param keyBitsDelivered bits of those keys
     * @param mismatches       keys whose bits differed between master and slave (must be 0)
     * @param failedRequests   enc_keys or dec_keys requests refused (for example 503 while key is
     *                         still being relayed)
     */
    @JsonPropertyOrder({"name", "master_sae", "slave_sae", "route", "protection_route", "routing", "state", "reroutes", "reserved_bps",
        "delivered_bps", "interruption_s", "keys_delivered", "key_bits_delivered", "mismatches", "failed_requests"})
    public record KeyServiceReport(String name, String masterSae, String slaveSae, List<String> route,
                                   List<String> protectionRoute, String routing, String state, long reroutes, long reservedBps,
                                   double deliveredBps, double interruptionS,
                                   long keysDelivered, long keyBitsDelivered, long mismatches, long failedRequests) {
    }

    /**
     * The key managers of a provider together.
     *
     * @param bitsRelayed    key bits carried over links by key relay (each hop counted)
     * @param authBitsSpent  link key spent on one-time MACs of relay messages
     * @param relayFailures  relay messages refused on some hop (tampering, replay, missing key)
     * @param bitsTrimmed    link key its owners discarded unused from lanes nobody drew fast enough
     *                       (a full lane would pause the link's key supply)
     * @param pools          each link's pool at each end
     */
    @JsonPropertyOrder({"bits_relayed", "auth_bits_spent", "relay_failures", "bits_trimmed", "pools"})
    public record KeyManagementReport(long bitsRelayed, long authBitsSpent, long relayFailures, long bitsTrimmed,
                                      List<PoolReport> pools) {
    }

    /**
     * @param link          link name
     * @param node          node name of the key manager holding this copy
     * @param availableBits unconsumed key in the link's pool (both lanes), bits
     * @param consumedBits  key taken from the pool so far (relay pads, MAC keys, relayed key), bits
     */
    @JsonPropertyOrder({"link", "node", "available_bits", "consumed_bits"})
    public record PoolReport(String link, String node, long availableBits, long consumedBits) {
    }

    /**
     * @param name           node name from the scenario
     * @param qkdnId         ETSI 015 qkdn_id
     * @param location       as the node's agent reported it; null when the controller does not know the node
     * @param status         qkdn_status without prefix (NEW, OPERATING, DOWN, FAILURE, OUT), or UNKNOWN
     * @param agentConnected whether the node's agent stream to the controller is up
     */
    @JsonPropertyOrder({"name", "qkdn_id", "location", "status", "agent_connected"})
    public record NodeReport(String name, String qkdnId, LocationReport location, String status,
                             boolean agentConnected) {
    }

    /** WGS 84 degrees and region. */
    @JsonPropertyOrder({"latitude_deg", "longitude_deg", "region"})
    public record LocationReport(double latitudeDeg, double longitudeDeg, String region) {
    }

    /**
     * @param name          link name from the scenario (null for a link the scenario does not have)
     * @param qkdlId        ETSI 015 qkdl_id
     * @param a             node name of end a (transmitter)
     * @param b             node name of end b (receiver)
     * @param lengthKm      fibre length reported by the agents, km (null when unknown)
     * @param status        merged qkdl_status (ACTIVE, PASSIVE, PENDING, OFF), or UNKNOWN
     * @param degraded      ACTIVE with QBER above the controller's threshold
     * @param skrBps        secret key rate, bit/s (null before any performance report)
     * @param qber          quantum bit error rate, fraction (null before any performance report)
     * @param keyVolumeBits secret key produced since the link was (re)created, bits (null before any report)
     * @param measuredAt    when the figures were measured (null before any report)
     */
    @JsonInclude(JsonInclude.Include.ALWAYS)
    @JsonPropertyOrder({"name", "qkdl_id", "a", "b", "length_km", "status", "degraded", "skr_bps", "qber",
        "key_volume_bits", "measured_at"})
    public record LinkReport(String name, String qkdlId, String a, String b, Double lengthKm, String status,
                             boolean degraded, Double skrBps, Double qber, Long keyVolumeBits, Instant measuredAt) {
    }
}

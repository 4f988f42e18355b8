package org.qkdnf.testbed.scenario;

import java.util.List;

/**
 * A testbed scenario as written in its YAML file: one or more providers, each with its nodes and
 * links. Built by {@link ScenarioLoader}, which has checked every field (a {@code Scenario} that
 * reaches the rest of the testbed is valid). Field names map to snake_case keys in the file.
 *
 * @param name             scenario name, shown in the live view and the report
 * @param description      free text, optional
 * @param reportIntervalMs how often each agent reports link performance, ms (optional, default 1000)
 * @param providers        at least one provider
 */
public record Scenario(String name, String description, Integer reportIntervalMs, List<Provider> providers) {

    /** Agents' report interval when the file gives none. */
    public static final int DEFAULT_REPORT_INTERVAL_MS = 1000;

    public int effectiveReportIntervalMs() {
        return reportIntervalMs == null ? DEFAULT_REPORT_INTERVAL_MS : reportIntervalMs;
    }

    public int nodeCount() {
        return providers.stream().mapToInt(p -> p.nodes().size()).sum();
    }

    public int linkCount() {
        return providers.stream().mapToInt(p -> p.links().size()).sum();
    }

    /**
     * One operator's QKD network, run by its own controller with its own development CA.
     *
     * @param providerId             provider id, the {@code O} of its certificates
     * @param qberDegradedThreshold  QBER above which the controller flags an ACTIVE link degraded
     *                               (optional, default the controller's 0.08)
     * @param linkDefaults           physical parameters for links that omit them (optional)
     * @param nodes                  trusted nodes
     * @param links                  QKD links between this provider's nodes
     * @param saes                   secure application entities using key (optional)
     * @param keyServices            key between pairs of SAEs over pinned routes (optional)
     */
    public record Provider(String providerId, Double qberDegradedThreshold, LinkDefaults linkDefaults,
                           List<Node> nodes, List<Link> links, List<Sae> saes, List<KeyService> keyServices) {

        public List<Sae> saesOrEmpty() {
            return saes == null ? List.of() : saes;
        }

        public List<KeyService> keyServicesOrEmpty() {
            return keyServices == null ? List.of() : keyServices;
        }

        public Sae sae(String name) {
            return saesOrEmpty().stream().filter(x -> x.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no SAE " + name));
        }

        /** The link joining two nodes, if any. */
        public java.util.Optional<Link> linkBetween(String x, String y) {
            return links.stream().filter(l -> (l.a().equals(x) && l.b().equals(y)) || (l.a().equals(y) && l.b().equals(x)))
                    .findFirst();
        }

        public Node node(String name) {
            return nodes.stream().filter(n -> n.name().equals(name)).findFirst()
                    .orElseThrow(() -> new IllegalArgumentException("no node " + name));
        }

        /** The link's physical parameters, each from the link or else from {@link #linkDefaults()}. */
        public LinkParameters parameters(Link link) {
            LinkDefaults d = linkDefaults == null ? LinkDefaults.NONE : linkDefaults;
            Detector det = link.detector() != null ? link.detector() : d.detector();
            return new LinkParameters(
                    first(link.lossDbPerKm(), d.lossDbPerKm()),
                    det == null ? null : det.efficiency(),
                    det == null ? null : det.darkCountProbability(),
                    first(link.misalignmentError(), d.misalignmentError()),
                    first(link.pulseRateHz(), d.pulseRateHz()));
        }

        private static Double first(Double a, Double b) {
            return a != null ? a : b;
        }
    }

    /**
     * A trusted node (one qkd-agent hosting one QKD module per link end).
     *
     * @param name     unique in its provider; its {@code qkdn_id} is derived from it
     * @param location where it stands
     */
    public record Node(String name, Location location) {
    }

    /**
     * A secure application entity: an application that takes key from its node's key manager
     * over ETSI GS QKD 014, with a certificate naming it.
     *
     * @param name its SAE id, unique in the provider
     * @param node the node whose key manager serves it
     */
    public record Sae(String name, String node) {
    }

    /**
     * Key between two SAEs: the master fetches keys at its node's key manager (enc_keys), the slave
     * the same keys at its node's (dec_keys). The route is pinned by the operator (route computation
     * belongs to the controller's key services).
     *
     * @param name        unique in the provider
     * @param master      master SAE name
     * @param slave       slave SAE name (at another node)
     * @param route       node names from the master's node to the slave's, each pair joined by a
     *                    link: a route pinned by the operator (optional; without it the service is
     *                    a request the controller routes, admits and recovers)
     * @param keysPerS    how many 256-bit keys the SAE pair asks for per second (optional, default 10)
     * @param protection  requests only: NONE, ONE_PLUS_ONE or RESTORATION (optional, default RESTORATION)
     * @param rateBps     requests only: key rate to reserve, bit/s (optional, default twice what the
     *                    SAEs fetch)
     */
    public record KeyService(String name, String master, String slave, List<String> route, Double keysPerS,
                             String protection, Double rateBps) {

        public static final double DEFAULT_KEYS_PER_S = 10;
        public static final String DEFAULT_PROTECTION = "RESTORATION";

        public double effectiveKeysPerS() {
            return keysPerS == null ? DEFAULT_KEYS_PER_S : keysPerS;
        }

        public boolean pinned() {
            return route != null;
        }

        public String effectiveProtection() {
            return protection == null ? DEFAULT_PROTECTION : protection;
        }

        /** bit/s to reserve for a request. */
        public long effectiveRateBps() {
            return rateBps != null ? (long) Math.ceil(rateBps) : (long) Math.ceil(2 * effectiveKeysPerS() * 256);
        }
    }

    /** WGS 84 position and a free-form region (metro area). */
    public record Location(Double latitudeDeg, Double longitudeDeg, String region) {
    }

    /**
     * Physical parameters shared by links that omit them.
     */
    public record LinkDefaults(Double lossDbPerKm, Detector detector, Double misalignmentError,
                               Double pulseRateHz) {
        static final LinkDefaults NONE = new LinkDefaults(null, null, null, null);
    }

    /**
     * A point-to-point QKD link over one fibre. Node {@code a} runs the transmitter module, node
     * {@code b} the receiver (with the single-photon detectors).
     *
     * @param name              unique in its provider; its {@code qkdl_id} is derived from it
     * @param a                 transmitter node name
     * @param b                 receiver node name
     * @param lengthKm          fibre length, km
     * @param lossDbPerKm       fibre attenuation, dB/km
     * @param detector          receiver's detectors
     * @param misalignmentError optical error probability (intrinsic QBER floor), fraction
     * @param pulseRateHz       transmitter's pulse (clock) rate, Hz
     * @param events            scheduled faults (optional)
     */
    public record Link(String name, String a, String b, Double lengthKm, Double lossDbPerKm, Detector detector,
                       Double misalignmentError, Double pulseRateHz, List<LinkEvent> events) {

        public List<LinkEvent> eventsOrEmpty() {
            return events == null ? List.of() : events;
        }
    }

    /**
     * @param efficiency           detection efficiency, fraction
     * @param darkCountProbability dark count probability per gate (pulse), fraction
     */
    public record Detector(Double efficiency, Double darkCountProbability) {
    }

    /**
     * A fault scheduled on a link, relative to the start of the run.
     *
     * @param atS                when, seconds after the agents start
     * @param type               CUT (fibre cut: link OFF), REPAIR (fibre spliced: link back), DEGRADE
     *                           (loss grows by {@code extraLossDbPerHour} from then on)
     * @param extraLossDbPerHour DEGRADE only: added attenuation per hour, dB/h
     */
    public record LinkEvent(Double atS, EventType type, Double extraLossDbPerHour) {
    }

    /** Kinds of scheduled link faults. */
    public enum EventType { CUT, REPAIR, DEGRADE }

    /** A link's resolved physical parameters (after {@link ScenarioLoader} validation, none is null). */
    public record LinkParameters(Double lossDbPerKm, Double detectorEfficiency, Double darkCountProbability,
                                 Double misalignmentError, Double pulseRateHz) {
    }
}

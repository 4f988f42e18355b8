package org.qkdnf.testbed.scenario;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Pattern;

import org.qkdnf.testbed.scenario.Scenario.Detector;
import org.qkdnf.testbed.scenario.Scenario.Link;
import org.qkdnf.testbed.scenario.Scenario.LinkDefaults;
import org.qkdnf.testbed.scenario.Scenario.LinkEvent;
import org.qkdnf.testbed.scenario.Scenario.LinkParameters;
import org.qkdnf.testbed.scenario.Scenario.Node;
import org.qkdnf.testbed.scenario.Scenario.Provider;

/**
 * The rules a bound scenario must meet beyond its types: required fields, names, references and
 * physical ranges. The ranges are wide enough for any real fibre and detector, narrow enough to
 * catch unit mistakes (metres for kilometres, percent for fractions).
 */
final class ScenarioValidator {

    /** Names and provider ids: used in certificate subjects, file names and the live view. */
    static final Pattern NAME = Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,62}");

    static final double LENGTH_MIN_KM = 0.1;
    static final double LENGTH_MAX_KM = 500;
    static final double LOSS_MIN_DB_PER_KM = 0.01;
    static final double LOSS_MAX_DB_PER_KM = 2;
    static final double DARK_COUNT_MAX = 0.01;
    static final double MISALIGNMENT_MAX = 0.25;
    static final double PULSE_RATE_MIN_HZ = 1e3;
    static final double PULSE_RATE_MAX_HZ = 1e11;
    static final double EVENT_MAX_S = 86_400;
    static final double EXTRA_LOSS_MAX_DB_PER_HOUR = 100_000;

    private final String source;
    private final LineIndex lines;
    private final List<ScenarioException.Problem> problems = new ArrayList<>();

    ScenarioValidator(String source, LineIndex lines) {
        this.source = source;
        this.lines = lines;
    }

    List<ScenarioException.Problem> validate(Scenario s) {
        name(s.name(), "name");
        if (s.reportIntervalMs() != null && (s.reportIntervalMs() < 100 || s.reportIntervalMs() > 60_000)) {
            problem("report_interval_ms", "must be between 100 and 60000 ms, got " + s.reportIntervalMs());
        }
        if (s.providers() == null || s.providers().isEmpty()) {
            problem("providers", s.providers() == null ? "missing field" : "needs at least one provider");
            return problems;
        }
        Set<String> providerIds = new HashSet<>();
        for (int i = 0; i < s.providers().size(); i++) {
            Provider p = s.providers().get(i);
            String at = "providers[" + i + "]";
            if (p == null) {
                problem(at, "empty entry");
                continue;
            }
            if (name(p.providerId(), at + ".provider_id") && !providerIds.add(p.providerId())) {
                problem(at + ".provider_id", "duplicate provider id '" + p.providerId() + "'");
            }
            provider(p, at);
        }
        problems.sort((a, b) -> Integer.compare(a.line(), b.line()));
        return problems;
    }

    private void provider(Provider p, String at) {
        if (p.qberDegradedThreshold() != null) {
            range(p.qberDegradedThreshold(), at + ".qber_degraded_threshold", 0.001, 0.5, "");
        }
        LinkDefaults d = p.linkDefaults();
        if (d != null) {
            String dat = at + ".link_defaults";
            parameters(new LinkParameters(d.lossDbPerKm(), d.detector() == null ? null : d.detector().efficiency(),
                    d.detector() == null ? null : d.detector().darkCountProbability(), d.misalignmentError(),
                    d.pulseRateHz()), dat);
            if (d.detector() != null) {
                wholeDetector(d.detector(), dat);
            }
        }
        Set<String> nodeNames = new HashSet<>();
        if (p.nodes() == null || p.nodes().isEmpty()) {
            problem(at + ".nodes", p.nodes() == null ? "missing field" : "needs at least one node");
        } else {
            for (int i = 0; i < p.nodes().size(); i++) {
                Node n = p.nodes().get(i);
                String nat = at + ".nodes[" + i + "]";
                if (n == null) {
                    problem(nat, "empty entry");
                    continue;
                }
                if (name(n.name(), nat + ".name") && !nodeNames.add(n.name())) {
                    problem(nat + ".name", "duplicate node name '" + n.name() + "'");
                }
                if (n.location() == null) {
                    problem(nat + ".location", "missing field");
                } else {
                    required(n.location().latitudeDeg(), nat + ".location.latitude_deg", -90, 90, "°");
                    required(n.location().longitudeDeg(), nat + ".location.longitude_deg", -180, 180, "°");
                }
            }
        }
        if (p.links() == null) {
            problem(at + ".links", "missing field (write 'links: []' for a provider without links)");
            return;
        }
        Set<String> linkNames = new HashSet<>();
        for (int i = 0; i < p.links().size(); i++) {
            Link l = p.links().get(i);
            String lat = at + ".links[" + i + "]";
            if (l == null) {
                problem(lat, "empty entry");
                continue;
            }
            if (name(l.name(), lat + ".name") && !linkNames.add(l.name())) {
                problem(lat + ".name", "duplicate link name '" + l.name() + "'");
            }
            endpoint(l.a(), lat + ".a", nodeNames);
            endpoint(l.b(), lat + ".b", nodeNames);
            if (l.a() != null && l.a().equals(l.b())) {
                problem(lat + ".b", "a link needs two different nodes, both ends are '" + l.a() + "'");
            }
            required(l.lengthKm(), lat + ".length_km", LENGTH_MIN_KM, LENGTH_MAX_KM, " km");
            Detector det = l.detector();
            if (det != null) {
                wholeDetector(det, lat);
            }
            // Range-check what the link itself gives (the defaults are checked once, above), then
            // require every parameter from one place or the other.
            parameters(new LinkParameters(l.lossDbPerKm(), det == null ? null : det.efficiency(),
                    det == null ? null : det.darkCountProbability(), l.misalignmentError(), l.pulseRateHz()),
                    lat);
            LinkParameters resolved = p.parameters(l);
            String hint = " (give it here or in " + at + ".link_defaults)";
            missing(resolved.lossDbPerKm(), lat + ".loss_db_per_km", hint);
            if (det == null) {
                missing(resolved.detectorEfficiency(), lat + ".detector", hint);
            }
            missing(resolved.misalignmentError(), lat + ".misalignment_error", hint);
            missing(resolved.pulseRateHz(), lat + ".pulse_rate_hz", hint);
            events(l, lat);
        }
        keyServices(p, at, nodeNames);
    }

    private void keyServices(Provider p, String at, Set<String> nodeNames) {
        Set<String> saeNames = new HashSet<>();
        for (int i = 0; i < p.saesOrEmpty().size(); i++) {
            Scenario.Sae sae = p.saesOrEmpty().get(i);
            String sat = at + ".saes[" + i + "]";
            if (sae == null) {
                problem(sat, "empty entry");
                continue;
            }
            if (name(sae.name(), sat + ".name") && !saeNames.add(sae.name())) {
                problem(sat + ".name", "duplicate SAE name '" + sae.name() + "'");
            }
            endpoint(sae.node(), sat + ".node", nodeNames);
        }
        Set<String> serviceNames = new HashSet<>();
        for (int i = 0; i < p.keyServicesOrEmpty().size(); i++) {
            Scenario.KeyService ks = p.keyServicesOrEmpty().get(i);
            String kat = at + ".key_services[" + i + "]";
            if (ks == null) {
                problem(kat, "empty entry");
                continue;
            }
            if (name(ks.name(), kat + ".name") && !serviceNames.add(ks.name())) {
                problem(kat + ".name", "duplicate key service name '" + ks.name() + "'");
            }
            boolean saesKnown = true;
            for (String[] role : new String[][] {{ks.master(), "master"}, {ks.slave(), "slave"}}) {
                if (role[0] == null) {
                    problem(kat + "." + role[1], "missing field");
                    saesKnown = false;
                } else if (!saeNames.contains(role[0])) {
                    problem(kat + "." + role[1], "unknown SAE '" + role[0] + "' (declare it under saes)");
                    saesKnown = false;
                }
            }
            if (ks.keysPerS() != null) {
                range(ks.keysPerS(), kat + ".keys_per_s", 0.1, 1000, "");
            }
            if (ks.protection() != null && !List.of("NONE", "ONE_PLUS_ONE", "RESTORATION").contains(ks.protection())) {
                problem(kat + ".protection", "must be NONE, ONE_PLUS_ONE or RESTORATION, got '" + ks.protection() + "'");
            }
            if (ks.rateBps() != null) {
                range(ks.rateBps(), kat + ".rate_bps", 1, 1e10, " bit/s");
            }
            List<String> route = ks.route();
            if (route == null) {
                // A request: the controller routes it between the SAEs' nodes.
                if (saesKnown && p.sae(ks.master()).node().equals(p.sae(ks.slave()).node())) {
                    problem(kat + ".slave", "is at the master's node; a key service joins two nodes");
                }
                continue;
            }
            if (ks.protection() != null || ks.rateBps() != null) {
                problem(kat + (ks.protection() != null ? ".protection" : ".rate_bps"),
                        "only for requests (services without a pinned route)");
            }
            if (route.size() < 2) {
                problem(kat + ".route", "needs at least two nodes, from the master's node to the slave's");
                continue;
            }
            boolean nodesKnown = true;
            for (int j = 0; j < route.size(); j++) {
                if (route.get(j) == null || !nodeNames.contains(route.get(j))) {
                    problem(kat + ".route[" + j + "]", "unknown node '" + route.get(j) + "'");
                    nodesKnown = false;
                } else if (route.subList(0, j).contains(route.get(j))) {
                    problem(kat + ".route[" + j + "]", "node '" + route.get(j) + "' appears twice");
                }
            }
            if (!nodesKnown) {
                continue;
            }
            for (int j = 0; j + 1 < route.size(); j++) {
                if (p.linkBetween(route.get(j), route.get(j + 1)).isEmpty()) {
                    problem(kat + ".route[" + (j + 1) + "]", "no link joins '" + route.get(j) + "' and '"
                            + route.get(j + 1) + "'");
                }
            }
            if (saesKnown) {
                if (!p.sae(ks.master()).node().equals(route.get(0))) {
                    problem(kat + ".route[0]", "must be the master SAE's node '" + p.sae(ks.master()).node() + "'");
                }
                if (!p.sae(ks.slave()).node().equals(route.get(route.size() - 1))) {
                    problem(kat + ".route[" + (route.size() - 1) + "]", "must be the slave SAE's node '"
                            + p.sae(ks.slave()).node() + "'");
                }
            }
        }
    }

    /** Range-checks the parameters that are given (absent ones are checked by the caller). */
    private void parameters(LinkParameters lp, String at) {
        range(lp.lossDbPerKm(), at + ".loss_db_per_km", LOSS_MIN_DB_PER_KM, LOSS_MAX_DB_PER_KM, " dB/km");
        range(lp.detectorEfficiency(), at + ".detector.efficiency", 0.001, 1, "");
        range(lp.darkCountProbability(), at + ".detector.dark_count_probability", 0, DARK_COUNT_MAX, "");
        range(lp.misalignmentError(), at + ".misalignment_error", 0, MISALIGNMENT_MAX, "");
        range(lp.pulseRateHz(), at + ".pulse_rate_hz", PULSE_RATE_MIN_HZ, PULSE_RATE_MAX_HZ, " Hz");
    }

    /** A detector block is taken whole, never merged field by field with the defaults. */
    private void wholeDetector(Detector det, String at) {
        if (det.efficiency() == null) {
            problem(at + ".detector.efficiency", "missing field");
        }
        if (det.darkCountProbability() == null) {
            problem(at + ".detector.dark_count_probability", "missing field");
        }
    }

    private void missing(Double v, String path, String hint) {
        if (v == null) {
            problem(path, "missing field" + hint);
        }
    }

    private void events(Link l, String at) {
        List<LinkEvent> events = l.eventsOrEmpty();
        for (int i = 0; i < events.size(); i++) {
            LinkEvent e = events.get(i);
            String eat = at + ".events[" + i + "]";
            if (e == null) {
                problem(eat, "empty entry");
                continue;
            }
            required(e.atS(), eat + ".at_s", 0, EVENT_MAX_S, " s");
            if (e.type() == null) {
                problem(eat + ".type", "missing field (one of CUT, REPAIR, DEGRADE)");
            } else if (e.type() == Scenario.EventType.DEGRADE) {
                required(e.extraLossDbPerHour(), eat + ".extra_loss_db_per_hour", 0.001, EXTRA_LOSS_MAX_DB_PER_HOUR,
                        " dB/h");
            } else if (e.extraLossDbPerHour() != null) {
                problem(eat + ".extra_loss_db_per_hour", "only a DEGRADE event takes extra_loss_db_per_hour");
            }
        }
    }

    private void endpoint(String node, String path, Set<String> nodeNames) {
        if (node == null) {
            problem(path, "missing field");
        } else if (!nodeNames.contains(node)) {
            problem(path, "unknown node '" + node + "' (not in this provider's nodes)");
        }
    }

    private boolean name(String value, String path) {
        if (value == null) {
            problem(path, "missing field");
            return false;
        }
        if (!NAME.matcher(value).matches()) {
            problem(path, "must be 1-63 letters, digits, '.', '_' or '-' starting with a letter or digit, got '"
                    + value + "'");
            return false;
        }
        return true;
    }

    private void required(Double v, String path, double min, double max, String unit) {
        check(v, path, min, max, unit, true);
    }

    private void range(Double v, String path, double min, double max, String unit) {
        check(v, path, min, max, unit, false);
    }

    private void check(Double v, String path, double min, double max, String unit, boolean required) {
        if (v == null) {
            if (required) {
                problem(path, "missing field");
            }
            return;
        }
        if (v.isNaN() || v < min || v > max) {
            problem(path, "must be between " + num(min) + " and " + num(max) + unit + ", got " + num(v));
        }
    }

    static String num(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return String.valueOf(v);
        }
        BigDecimal d = BigDecimal.valueOf(v).stripTrailingZeros();
        return Math.abs(v) != 0 && (Math.abs(v) < 1e-3 || Math.abs(v) >= 1e7) ? String.valueOf(v) : d.toPlainString();
    }

    private void problem(String path, String message) {
        problems.add(new ScenarioException.Problem(source, lines.lineOf(path), path, message));
    }
}

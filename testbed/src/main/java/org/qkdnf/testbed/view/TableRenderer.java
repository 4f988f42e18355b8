package org.qkdnf.testbed.view;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

import org.qkdnf.testbed.report.TestbedReport;
import org.qkdnf.testbed.report.TestbedReport.LinkReport;
import org.qkdnf.testbed.report.TestbedReport.ProviderReport;

/**
 * Renders a snapshot as text: the full link table (terminal view) or a one-line summary per
 * provider (plain view). Pure functions of their arguments, so they are tested directly.
 */
public final class TableRenderer {

    private static final String[] HEADER = {"LINK", "A", "B", "KM", "STATUS", "DEGRADED", "SKR", "QBER", "POOL"};
    private static final String[] SERVICE_HEADER = {"KEY SERVICE", "MASTER SAE", "SLAVE SAE", "ROUTING", "STATE",
        "HOPS", "REROUTES", "KEYS", "KEY BITS", "MISMATCHES"};
    /** Right-aligned columns (numbers). */
    private static final boolean[] RIGHT = {false, false, false, true, false, false, true, true, true};
    private static final boolean[] SERVICE_RIGHT = {false, false, false, false, false, true, true, true, true, true};

    private static final String RESET = "\u001b[0m";
    private static final String GREEN = "\u001b[32m";
    private static final String YELLOW = "\u001b[33m";
    private static final String RED = "\u001b[31m";
    private static final String BOLD = "\u001b[1m";

    private TableRenderer() {
    }

    /**
     * The full view: header, one table per provider, the latest status changes.
     *
     * @param color whether to use ANSI colours (terminals only)
     */
    public static String table(TestbedReport r, List<StatusChangeLog.Change> recent, Instant startedAt,
                               String footer, boolean color) {
        StringBuilder out = new StringBuilder();
        out.append(color ? BOLD : "").append("qkdnf testbed: ").append(r.scenario()).append(color ? RESET : "")
                .append(String.format(Locale.ROOT, "   t = %.0f s", r.durationS())).append('\n');
        for (ProviderReport p : r.providers()) {
            out.append('\n').append(summary(p)).append('\n');
            List<String[]> rows = new ArrayList<>();
            rows.add(HEADER);
            for (LinkReport l : p.links()) {
                rows.add(new String[] {
                    l.name() == null ? l.qkdlId() : l.name(), l.a(), l.b(), Units.km(l.lengthKm()), l.status(),
                    l.degraded() ? "yes" : "", Units.rate(l.skrBps()), Units.percent(l.qber()), pool(p, l)});
            }
            int[] width = widths(rows);
            for (int i = 0; i < rows.size(); i++) {
                String[] row = rows.get(i);
                String line = format(row, width, RIGHT);
                if (color && i > 0) {
                    LinkReport l = p.links().get(i - 1);
                    String c = "ACTIVE".equals(l.status()) ? (l.degraded() ? YELLOW : GREEN)
                            : "OFF".equals(l.status()) ? RED : YELLOW;
                    line = c + line + RESET;
                } else if (color) {
                    line = BOLD + line + RESET;
                }
                out.append(line).append('\n');
            }
            keyServices(p, out);
        }
        if (!recent.isEmpty()) {
            out.append("\nlatest status changes:\n");
            for (StatusChangeLog.Change c : recent) {
                out.append(String.format(Locale.ROOT, "  t = %5.1f s  %s%n",
                        Duration.between(startedAt, c.at()).toMillis() / 1000.0, c));
            }
        }
        if (footer != null) {
            out.append('\n').append(footer).append('\n');
        }
        return out.toString();
    }

    /** Unconsumed key in the link's pool at end a, or blank without key managers. */
    private static String pool(ProviderReport p, LinkReport l) {
        if (p.keyManagement() == null || l.name() == null) {
            return "";
        }
        return p.keyManagement().pools().stream()
                .filter(x -> x.link().equals(l.name()) && x.node().equals(l.a()))
                .findFirst().map(x -> Units.bits(x.availableBits())).orElse("");
    }

    private static void keyServices(ProviderReport p, StringBuilder out) {
        if (p.keyServices() == null || p.keyServices().isEmpty()) {
            return;
        }
        List<String[]> rows = new ArrayList<>();
        rows.add(SERVICE_HEADER);
        for (TestbedReport.KeyServiceReport ks : p.keyServices()) {
            rows.add(new String[] {ks.name(), ks.masterSae(), ks.slaveSae(), ks.routing(), ks.state(),
                hops(ks), Long.toString(ks.reroutes()),
                Long.toString(ks.keysDelivered()), Units.bits(ks.keyBitsDelivered()), Long.toString(ks.mismatches())});
        }
        out.append('\n');
        int[] width = widths(rows);
        for (String[] row : rows) {
            out.append(format(row, width, SERVICE_RIGHT)).append('\n');
        }
        if (p.keyManagement() != null) {
            out.append("key relay: ").append(Units.bits(p.keyManagement().bitsRelayed())).append(" relayed, ")
                    .append(Units.bits(p.keyManagement().authBitsSpent())).append(" spent on authentication, ")
                    .append(p.keyManagement().relayFailures()).append(" relay failures, ")
                    .append(Units.bits(p.keyManagement().bitsTrimmed())).append(" trimmed from undrawn lanes\n");
        }
    }

    /** Hops of the working route, and of a 1+1 service's disjoint route after a '+'. */
    private static String hops(TestbedReport.KeyServiceReport ks) {
        if (ks.route().isEmpty()) {
            return "-";
        }
        String working = Integer.toString(ks.route().size() - 1);
        return ks.protectionRoute() == null || ks.protectionRoute().isEmpty() ? working
                : working + "+" + (ks.protectionRoute().size() - 1);
    }

    /** One line per provider: nodes connected, links by status, degraded, total key rate. */
    public static String summary(ProviderReport p) {
        long connected = p.nodes().stream().filter(TestbedReport.NodeReport::agentConnected).count();
        long active = count(p, "ACTIVE");
        long off = count(p, "OFF");
        long degraded = p.links().stream().filter(LinkReport::degraded).count();
        long other = p.links().size() - active - off;
        double skr = p.links().stream().filter(l -> l.skrBps() != null && "ACTIVE".equals(l.status()))
                .mapToDouble(LinkReport::skrBps).sum();
        StringBuilder b = new StringBuilder();
        b.append("provider ").append(p.providerId()).append(": nodes ").append(connected).append('/')
                .append(p.nodes().size()).append(" connected, links ").append(active).append('/')
                .append(p.links().size()).append(" ACTIVE");
        if (off > 0) {
            b.append(", ").append(off).append(" OFF");
        }
        if (other > 0) {
            b.append(", ").append(other).append(" other");
        }
        b.append(", ").append(degraded).append(" degraded, total SKR ").append(Units.rate(skr));
        return b.toString();
    }

    /** The plain view's periodic line(s). */
    public static String plain(TestbedReport r) {
        StringBuilder b = new StringBuilder();
        for (ProviderReport p : r.providers()) {
            b.append(String.format(Locale.ROOT, "[t=%3.0fs] ", r.durationS())).append(summary(p));
            List<String> notActive = new ArrayList<>();
            for (LinkReport l : p.links()) {
                if (!"ACTIVE".equals(l.status()) || l.degraded()) {
                    notActive.add((l.name() == null ? l.qkdlId() : l.name()) + " " + l.status()
                            + (l.degraded() ? " degraded, QBER " + Units.percent(l.qber()) : ""));
                }
            }
            if (!notActive.isEmpty()) {
                b.append(" [").append(String.join("; ", notActive)).append(']');
            }
            if (p.keyServices() != null && !p.keyServices().isEmpty()) {
                long keys = p.keyServices().stream().mapToLong(TestbedReport.KeyServiceReport::keysDelivered).sum();
                long bad = p.keyServices().stream().mapToLong(TestbedReport.KeyServiceReport::mismatches).sum();
                b.append("; key services: ").append(keys).append(" keys delivered, ").append(bad)
                        .append(" mismatches");
            }
            b.append('\n');
        }
        return b.toString();
    }

    private static long count(ProviderReport p, String status) {
        return p.links().stream().filter(l -> status.equals(l.status())).count();
    }

    private static int[] widths(List<String[]> rows) {
        int[] w = new int[rows.get(0).length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                w[i] = Math.max(w[i], row[i] == null ? 1 : row[i].length());
            }
        }
        return w;
    }

    private static String format(String[] row, int[] width, boolean[] right) {
        StringBuilder b = new StringBuilder();
        for (int i = 0; i < row.length; i++) {
            if (i > 0) {
                b.append("  ");
            }
            String cell = row[i] == null ? "-" : row[i];
            String pad = " ".repeat(width[i] - cell.length());
            b.append(right[i] ? pad + cell : cell + (i == row.length - 1 ? "" : pad));
        }
        return b.toString();
    }
}

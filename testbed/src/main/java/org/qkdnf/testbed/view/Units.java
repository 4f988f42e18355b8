package org.qkdnf.testbed.view;

import java.util.Locale;

/** Human-readable figures for the live view. */
public final class Units {

    private Units() {
    }

    /** A key rate with SI prefix: {@code 1.23 Mbit/s}, {@code 456 kbit/s}, {@code 12.3 bit/s}. */
    public static String rate(Double bps) {
        if (bps == null) {
            return "-";
        }
        double v = bps;
        String[] prefixes = {"", "k", "M", "G"};
        int i = 0;
        while (Math.abs(v) >= 999.5 && i < prefixes.length - 1) {
            v /= 1000;
            i++;
        }
        return sig3(v) + " " + prefixes[i] + "bit/s";
    }

    /** A fraction as a percentage with two decimals. */
    /** An amount of key: "512 bit", "1.23 Mbit", "4.57 Gbit". */
    public static String bits(long bits) {
        if (bits < 1000) {
            return bits + " bit";
        }
        String[] units = {"kbit", "Mbit", "Gbit", "Tbit"};
        double v = bits;
        int u = -1;
        while (v >= 1000 && u < units.length - 1) {
            v /= 1000;
            u++;
        }
        return sig3(v) + " " + units[u];
    }

    public static String percent(Double fraction) {
        return fraction == null ? "-" : String.format(Locale.ROOT, "%.2f %%", fraction * 100);
    }

    /** A length in km with one decimal. */
    public static String km(Double km) {
        return km == null ? "-" : String.format(Locale.ROOT, "%.1f", km);
    }

    /** Three significant digits. */
    static String sig3(double v) {
        double a = Math.abs(v);
        if (a >= 100 || a == 0) {
            return String.format(Locale.ROOT, "%.0f", v);
        }
        if (a >= 10) {
            return String.format(Locale.ROOT, "%.1f", v);
        }
        return String.format(Locale.ROOT, "%.2f", v);
    }
}

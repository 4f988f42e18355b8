package org.qkdnf.testbed.view;

import java.io.PrintWriter;
import java.time.Instant;
import java.util.List;
import java.util.Locale;

import org.qkdnf.testbed.report.TestbedReport;

/**
 * Shows the network while it runs. On a terminal: the whole table redrawn in place every tick.
 * Otherwise (output piped or redirected): a summary line every {@code plainEvery} ticks, plus each
 * status change as it is seen, so a log file stays readable.
 *
 * <p>Called by one thread (the run loop) only.
 */
public final class LiveView {

    /** How to draw. */
    public enum Mode {
        /** Redraw a table in place (ANSI escapes). */
        TABLE,
        /** Append summary lines. */
        PLAIN,
        /** Nothing (tests). */
        NONE;

        /** TABLE when stdout is an interactive terminal, PLAIN otherwise. */
        public static Mode auto() {
            String term = System.getenv("TERM");
            return System.console() != null && term != null && !"dumb".equals(term) ? TABLE : PLAIN;
        }
    }

    private static final String HOME_AND_CLEAR = "\u001b[H\u001b[2J";

    private final Mode mode;
    private final PrintWriter out;
    private final List<StatusChangeLog> logs;
    private final Instant startedAt;
    private final String footer;
    private final int plainEvery;
    private long ticks;

    /**
     * @param logs       status-change logs, one per provider
     * @param footer     line under the table (how to stop, where the run directory is)
     * @param plainEvery print the plain summary every this many ticks
     */
    public LiveView(Mode mode, PrintWriter out, List<StatusChangeLog> logs, Instant startedAt, String footer,
                    int plainEvery) {
        this.mode = mode;
        this.out = out;
        this.logs = List.copyOf(logs);
        this.startedAt = startedAt;
        this.footer = footer;
        this.plainEvery = Math.max(1, plainEvery);
    }

    public void tick(TestbedReport snapshot) {
        switch (mode) {
            case TABLE -> {
                List<StatusChangeLog.Change> recent = logs.stream().flatMap(l -> l.recent().stream())
                        .sorted((a, b) -> a.at().compareTo(b.at())).toList();
                int from = Math.max(0, recent.size() - 8);
                out.print(HOME_AND_CLEAR + TableRenderer.table(snapshot, recent.subList(from, recent.size()),
                        startedAt, footer, true));
                out.flush();
            }
            case PLAIN -> {
                for (StatusChangeLog l : logs) {
                    for (StatusChangeLog.Change c : l.drainUnread()) {
                        out.printf(Locale.ROOT, "[t=%3.0fs] %s %s%n",
                                (c.at().toEpochMilli() - startedAt.toEpochMilli()) / 1000.0, c.providerId(), c);
                    }
                }
                if (ticks % plainEvery == 0) {
                    out.print(TableRenderer.plain(snapshot));
                }
                out.flush();
            }
            case NONE -> {
            }
        }
        ticks++;
    }

    /** The last word: the full table once more, without colours, in every mode but NONE. */
    public void finish(TestbedReport last) {
        if (mode == Mode.NONE) {
            return;
        }
        if (mode == Mode.TABLE) {
            out.print(HOME_AND_CLEAR);
        }
        List<StatusChangeLog.Change> recent = logs.stream().flatMap(l -> l.recent().stream())
                .sorted((a, b) -> a.at().compareTo(b.at())).toList();
        out.print(TableRenderer.table(last, recent, startedAt, null, false));
        out.flush();
    }

    public Mode mode() {
        return mode;
    }
}

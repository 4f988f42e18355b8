package org.qkdnf.testbed.scenario;

import java.util.List;

/**
 * A scenario file that cannot be used. Each problem is one line of the message, in the form
 * {@code <file> line <n>: <field path>: <what is wrong>}, for example
 * {@code scenario.yaml line 42: providers[0].links[3].length_km: must be between 0.1 and 500 km, got -5}.
 */
public final class ScenarioException extends Exception {

    private static final long serialVersionUID = 1L;

    private final transient List<Problem> problems;

    public ScenarioException(List<Problem> problems) {
        super(render(problems));
        this.problems = List.copyOf(problems);
    }

    /** Every problem found, in file order. */
    public List<Problem> problems() {
        return problems;
    }

    private static String render(List<Problem> problems) {
        StringBuilder b = new StringBuilder();
        for (Problem p : problems) {
            if (b.length() > 0) {
                b.append('\n');
            }
            b.append(p);
        }
        return b.toString();
    }

    /**
     * One problem.
     *
     * @param source file name
     * @param line   1-based line, or 0 when unknown (empty file)
     * @param path   field path such as {@code providers[0].links[3].length_km}, or "" for the file
     * @param message what is wrong
     */
    public record Problem(String source, int line, String path, String message) {
        @Override
        public String toString() {
            return source + (line > 0 ? " line " + line : "") + ": " + (path.isEmpty() ? "" : path + ": ") + message;
        }
    }
}

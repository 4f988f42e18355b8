package org.qkdnf.testbed.scenario;

import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonStreamContext;
import com.fasterxml.jackson.core.JsonToken;

/**
 * Where each field of a YAML document sits: field path (as {@link #pathOf} writes it, for example
 * {@code providers[0].links[3].length_km}) to 1-based line. Data binding loses positions, so the
 * loader reads the document once more as a token stream to be able to name the line of any field
 * its validation rejects.
 */
final class LineIndex {

    private final Map<String, Integer> lines;
    /** Scalar values as written, to quote a rejected value back to the user. */
    private final Map<String, String> texts;

    private LineIndex(Map<String, Integer> lines, Map<String, String> texts) {
        this.lines = lines;
        this.texts = texts;
    }

    /** Indexes {@code text}; throws the parser's exception on a syntax error or a duplicate key. */
    static LineIndex of(JsonFactory factory, String text) throws IOException {
        Map<String, Integer> lines = new HashMap<>();
        Map<String, String> texts = new HashMap<>();
        try (JsonParser p = factory.createParser(text)) {
            JsonToken t;
            while ((t = p.nextToken()) != null) {
                JsonStreamContext ctx = p.getParsingContext();
                // A container's own context is the new one; where it sits is named by its parent.
                String path = t == JsonToken.START_OBJECT || t == JsonToken.START_ARRAY
                        ? pathOf(ctx.getParent()) : t.isStructEnd() ? null : pathOf(ctx);
                if (path != null) {
                    lines.putIfAbsent(path, p.currentTokenLocation().getLineNr());
                    if (t.isScalarValue()) {
                        texts.putIfAbsent(path, p.getText());
                    }
                }
            }
        }
        return new LineIndex(lines, texts);
    }

    /**
     * Line of {@code path}, or of its nearest indexed ancestor (a missing field is reported at the
     * object that lacks it); 0 when nothing is known.
     */
    int lineOf(String path) {
        String p = path;
        while (true) {
            Integer line = lines.get(p);
            if (line != null) {
                return line;
            }
            if (p.isEmpty()) {
                return 0;
            }
            p = parent(p);
        }
    }

    /** The scalar written at {@code path}, if it is one. */
    String textOf(String path) {
        return texts.get(path);
    }

    /** Whether the document has no content at all (empty, or only comments). */
    boolean isEmpty() {
        return lines.isEmpty();
    }

    static String parent(String path) {
        int cut = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
        return cut < 0 ? "" : path.substring(0, cut);
    }

    static String pathOf(JsonStreamContext ctx) {
        if (ctx == null || ctx.inRoot()) {
            return "";
        }
        String parent = pathOf(ctx.getParent());
        if (ctx.inArray()) {
            return parent + "[" + Math.max(ctx.getCurrentIndex(), 0) + "]";
        }
        String name = ctx.getCurrentName();
        if (name == null) {
            return parent;
        }
        return parent.isEmpty() ? name : parent + "." + name;
    }
}

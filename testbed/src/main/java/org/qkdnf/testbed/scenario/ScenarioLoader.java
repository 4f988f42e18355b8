package org.qkdnf.testbed.scenario;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.List;
import java.util.stream.Collectors;

import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.cfg.CoercionAction;
import com.fasterxml.jackson.databind.cfg.CoercionInputShape;
import com.fasterxml.jackson.databind.exc.InvalidFormatException;
import com.fasterxml.jackson.databind.exc.MismatchedInputException;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.type.LogicalType;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.yaml.snakeyaml.error.MarkedYAMLException;

/**
 * Reads and checks scenario files. Strict on purpose: an unknown field, a value of the wrong type
 * (a quoted number, a number where a name belongs), a duplicate key, a missing required field or a
 * value out of its physical range is an error naming the file, the line and the field, never a
 * silent default. All validation problems of a file are reported together.
 *
 * <p>Stateless and thread-safe.
 */
public final class ScenarioLoader {

    /** Classpath resource of the embedded default scenario. */
    public static final String DEFAULT_SCENARIO = "/org/qkdnf/testbed/scenarios/default.yaml";

    private static final YAMLFactory YAML = YAMLFactory.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();
    private static final ObjectMapper MAPPER = newMapper();

    private ScenarioLoader() {
    }

    /** Reads {@code file}; problems name it by its file name. */
    public static Scenario load(Path file) throws IOException, ScenarioException {
        return parse(file.getFileName().toString(), Files.readString(file, StandardCharsets.UTF_8));
    }

    /** The embedded default scenario (a metro ring plus a long-haul backbone). */
    public static Scenario loadDefault() throws IOException, ScenarioException {
        return parse("default.yaml", readResource(DEFAULT_SCENARIO));
    }

    /** The YAML text of the embedded default scenario. */
    public static String readResource(String resource) throws IOException {
        try (InputStream in = ScenarioLoader.class.getResourceAsStream(resource)) {
            if (in == null) {
                throw new IOException("missing classpath resource " + resource);
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        }
    }

    /**
     * Parses and validates {@code yaml}.
     *
     * @param source name used in problems (a file name)
     */
    public static Scenario parse(String source, String yaml) throws ScenarioException {
        LineIndex lines;
        try {
            lines = LineIndex.of(YAML, yaml);
        } catch (JsonProcessingException e) {
            throw syntax(source, e);
        } catch (IOException e) {
            throw single(source, 0, "", "cannot read: " + e.getMessage());
        }
        if (lines.isEmpty()) {
            throw single(source, 0, "", "the file is empty; a scenario needs at least 'name' and 'providers'");
        }
        Scenario scenario;
        try {
            scenario = MAPPER.readValue(yaml, Scenario.class);
        } catch (JsonMappingException e) {
            String path = pathOf(e);
            int line = lines.lineOf(path);
            throw single(source, line > 0 ? line : line(e.getLocation()), path, describe(e, path, lines));
        } catch (JsonProcessingException e) {
            throw syntax(source, e);
        }
        if (scenario == null) {
            throw single(source, 0, "", "the file is empty; a scenario needs at least 'name' and 'providers'");
        }
        List<ScenarioException.Problem> problems = new ScenarioValidator(source, lines).validate(scenario);
        if (!problems.isEmpty()) {
            throw new ScenarioException(problems);
        }
        return scenario;
    }

    private static ObjectMapper newMapper() {
        JsonMapper mapper = JsonMapper.builder(YAML)
                .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
                .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
                .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
                .enable(DeserializationFeature.FAIL_ON_READING_DUP_TREE_KEY)
                .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
                .disable(DeserializationFeature.ACCEPT_FLOAT_AS_INT)
                .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
                .build();
        // "12" (quoted) is not a number and 12 is not a name: no silent conversions either way.
        for (LogicalType t : List.of(LogicalType.Float, LogicalType.Integer, LogicalType.Boolean)) {
            mapper.coercionConfigFor(t).setCoercion(CoercionInputShape.String, CoercionAction.Fail);
        }
        for (CoercionInputShape s : List.of(CoercionInputShape.Integer, CoercionInputShape.Float,
                CoercionInputShape.Boolean)) {
            mapper.coercionConfigFor(LogicalType.Textual).setCoercion(s, CoercionAction.Fail);
            mapper.coercionConfigFor(LogicalType.Enum).setCoercion(s, CoercionAction.Fail);
        }
        return mapper;
    }

    private static String describe(JsonMappingException e, String path, LineIndex lines) {
        if (e instanceof UnrecognizedPropertyException u) {
            Collection<Object> known = u.getKnownPropertyIds();
            return "unknown field" + (known == null || known.isEmpty() ? ""
                    : " (expected one of: " + known.stream().map(String::valueOf).sorted()
                    .collect(Collectors.joining(", ")) + ")");
        }
        if (e instanceof InvalidFormatException f) {
            Class<?> target = f.getTargetType();
            if (target != null && target.isEnum()) {
                return "must be one of " + Arrays.stream(target.getEnumConstants()).map(String::valueOf)
                        .collect(Collectors.joining(", ")) + ", got '" + f.getValue() + "'";
            }
            return "expected " + typeName(target) + ", got '" + f.getValue() + "'";
        }
        if (e instanceof MismatchedInputException m) {
            Class<?> target = m.getTargetType();
            if (target != null && target.isEnum()) {
                return "must be one of " + Arrays.stream(target.getEnumConstants()).map(String::valueOf)
                        .collect(Collectors.joining(", "));
            }
            String written = lines.textOf(path);
            return "expected " + typeName(target) + (written == null ? "" : ", got '" + written + "'");
        }
        return e.getOriginalMessage();
    }

    private static String typeName(Class<?> type) {
        if (type == null) {
            return "another kind of value";
        }
        if (type == Double.class || type == double.class || type == Float.class) {
            return "a number";
        }
        if (type == Integer.class || type == int.class || type == Long.class || type == long.class) {
            return "a whole number";
        }
        if (type == String.class) {
            return "a text value";
        }
        if (type == Boolean.class || type == boolean.class) {
            return "true or false";
        }
        if (List.class.isAssignableFrom(type) || type.isArray()) {
            return "a list";
        }
        if (type.isRecord()) {
            return "a mapping of fields";
        }
        return "a " + type.getSimpleName();
    }

    private static String pathOf(JsonMappingException e) {
        StringBuilder b = new StringBuilder();
        for (JsonMappingException.Reference r : e.getPath()) {
            if (r.getFieldName() != null) {
                if (b.length() > 0) {
                    b.append('.');
                }
                b.append(r.getFieldName());
            } else if (r.getIndex() >= 0) {
                b.append('[').append(r.getIndex()).append(']');
            }
        }
        return b.toString();
    }

    /** SnakeYAML's own mark is more precise than Jackson's location (the last good token). */
    private static ScenarioException syntax(String source, JsonProcessingException e) {
        if (e.getCause() instanceof MarkedYAMLException m && m.getProblemMark() != null) {
            String what = (m.getContext() == null ? "" : m.getContext() + ": ") + m.getProblem();
            return single(source, m.getProblemMark().getLine() + 1, "", "YAML syntax error: " + what);
        }
        return single(source, line(e.getLocation()), "", "YAML syntax error: " + e.getOriginalMessage());
    }

    private static int line(JsonLocation location) {
        return location == null ? 0 : Math.max(location.getLineNr(), 0);
    }

    private static ScenarioException single(String source, int line, String path, String message) {
        List<ScenarioException.Problem> p = new ArrayList<>(1);
        p.add(new ScenarioException.Problem(source, line, path, message));
        return new ScenarioException(p);
    }
}

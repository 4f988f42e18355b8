package org.qkdnf.common.config;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.PropertyNamingStrategies;
import com.fasterxml.jackson.databind.exc.UnrecognizedPropertyException;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import org.qkdnf.common.json.JsonFieldPath;

/**
 * Reads the product's YAML files (agent and key manager configurations, testbed scenarios) into
 * records, strictly: unknown keys, duplicate keys, nulls for primitives, trailing documents and
 * scalars of the wrong type are refused, and every error names the file, the line and the field
 * ({@code modules[0].device.url}) as the user wrote them. Field names are snake_case.
 */
public final class StrictYaml {

    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .propertyNamingStrategy(PropertyNamingStrategies.SNAKE_CASE)
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_NULL_FOR_PRIMITIVES)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .disable(MapperFeature.ALLOW_COERCION_OF_SCALARS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .build();

    private StrictYaml() {
    }

    /**
     * The file's content as a {@code type}.
     *
     * @throws ConfigException naming the file (and line and field) when it cannot be read, is empty,
     *         or does not match {@code type}
     */
    public static <T> T read(Path file, Class<T> type) throws ConfigException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new ConfigException(file + ": cannot read: " + e.getMessage(), e);
        }
        T value;
        try {
            value = text.isBlank() ? null : YAML.readValue(text, type);
        } catch (UnrecognizedPropertyException e) {
            // Records are built after all their properties are read, so Jackson's location is the
            // end of the enclosing mapping: find the key's own line instead.
            throw new ConfigException(file + keyLine(text, e.getPropertyName(), e) + ": " + documentPath(e)
                    + ": unknown key (known: " + e.getKnownPropertyIds() + ")", e);
        } catch (JsonMappingException e) {
            throw new ConfigException(file + location(e) + ": " + documentPath(e) + ": " + e.getOriginalMessage()
                    .replaceAll(" \\(class [^)]*\\)", ""), e);
        } catch (JsonProcessingException e) {
            throw new ConfigException(file + location(e) + ": " + e.getOriginalMessage(), e);
        }
        if (value == null) {
            throw new ConfigException(file + ": empty configuration");
        }
        return value;
    }

    /** {@code value}, or an error naming {@code field} as required. */
    public static <T> T required(T value, String field) {
        if (value == null) {
            throw new IllegalArgumentException(field + ": required");
        }
        return value;
    }

    private static String documentPath(JsonMappingException e) {
        String path = JsonFieldPath.of(e);
        return path.isEmpty() ? "(document)" : path;
    }

    private static String keyLine(String text, String key, JsonProcessingException e) {
        Pattern p = Pattern.compile("^[\\s-]*" + Pattern.quote(key) + "\\s*:", Pattern.MULTILINE);
        Matcher m = p.matcher(text);
        if (m.find()) {
            return " line " + (text.substring(0, m.start()).chars().filter(c -> c == '\n').count() + 1);
        }
        return location(e);
    }

    private static String location(JsonProcessingException e) {
        return e.getLocation() == null ? "" : " line " + e.getLocation().getLineNr();
    }
}

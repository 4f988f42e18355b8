package org.qkdnf.agent.config;

import java.util.regex.Pattern;

/** The canonical textual form of UUIDs, as ETSI GS QKD 015 ids use it. */
public final class Uuids {

    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private Uuids() {
    }

    public static boolean isUuid(String s) {
        return s != null && UUID.matcher(s).matches();
    }

    /** @throws IllegalArgumentException naming {@code field} unless {@code s} is a UUID */
    public static void require(String s, String field) {
        if (!isUuid(s)) {
            throw new IllegalArgumentException(field + ": must be a UUID, got " + (s == null ? "nothing" : "'" + s + "'"));
        }
    }
}

package org.qkdnf.controller.api;

import java.util.regex.Pattern;

/** Identifier rules of the model: 015 ids (qkdn_id, qkdi_id, qkdl_id, request ids) are UUIDs. */
public final class QkdIds {

    /** Canonical textual UUID, any version, either case (java.util.UUID.fromString is too lenient). */
    private static final Pattern UUID = Pattern.compile(
            "[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}");

    private QkdIds() {
    }

    public static boolean isUuid(String s) {
        if (s == null || s.length() != 36) {
            return false;
        }
        // Hand-rolled (hot path: every performance entry carries a qkdl_id); same as UUID pattern.
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
            } else if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'))) {
                return false;
            }
        }
        return true;
    }

    /** Same rule as {@link #isUuid}, as a regular expression (for documentation and other tools). */
    public static Pattern uuidPattern() {
        return UUID;
    }
}

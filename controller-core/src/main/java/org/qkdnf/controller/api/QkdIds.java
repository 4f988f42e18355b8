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
        return org.qkdnf.common.ids.Uuids.isUuid(s);
    }

    /** Same rule as {@link #isUuid}, as a regular expression (for documentation and other tools). */
    public static Pattern uuidPattern() {
        return UUID;
    }
}

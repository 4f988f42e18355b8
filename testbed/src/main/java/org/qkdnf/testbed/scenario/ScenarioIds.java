package org.qkdnf.testbed.scenario;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * The ETSI 015 ids of a scenario's entities, derived from names (name-based UUIDs, RFC 4122
 * version 3) so that the same scenario gives the same {@code qkdn_id}, {@code qkdl_id} and
 * {@code qkdi_id} on every run and every machine: reports of two runs can be compared and a run
 * directory's controller store matches its scenario.
 */
public final class ScenarioIds {

    private ScenarioIds() {
    }

    /** {@code qkdn_id} of a node. */
    public static String nodeId(String providerId, String nodeName) {
        return uuid("qkdnf/node/" + providerId + "/" + nodeName);
    }

    /** {@code qkdl_id} of a link (identical at both ends). */
    public static String linkId(String providerId, String linkName) {
        return uuid("qkdnf/link/" + providerId + "/" + linkName);
    }

    /** {@code qkdi_id} of the QKD module at {@code nodeName}'s end of {@code linkName}. */
    public static String interfaceId(String providerId, String nodeName, String linkName) {
        return uuid("qkdnf/interface/" + providerId + "/" + nodeName + "/" + linkName);
    }

    private static String uuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8)).toString();
    }
}

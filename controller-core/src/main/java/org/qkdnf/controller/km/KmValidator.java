package org.qkdnf.controller.km;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.CommandResults;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;
import org.qkdnf.proto.keymgmt.v1.PoolReport;
import org.qkdnf.proto.keymgmt.v1.RelayCounters;

/**
 * Strict checks of Sk messages and key routes. Each failure is an INVALID_ARGUMENT whose
 * description names the offending field (invariant 6); nothing is defaulted silently.
 */
final class KmValidator {

    static final int MAX_TEXT = 256;
    static final int MAX_LINKS = 4096;
    static final int MAX_ROUTE_NODES = 64;

    private KmValidator() {
    }

    static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    static void hello(KmsHello h) {
        uuid(h.getQkdnId(), "hello.qkdn_id");
        text(h.getKmeId(), "hello.kme_id", true);
        text(h.getEtsi014Address(), "hello.etsi014_address", true);
        if (!h.getEtsi014Address().matches("[A-Za-z0-9.:\\[\\]-]+:[0-9]{1,5}")) {
            throw invalid("hello.etsi014_address: host:port expected, got '" + h.getEtsi014Address() + "'");
        }
        text(h.getAgentVersion(), "hello.agent_version", false);
        text(h.getAgentInstanceId(), "hello.agent_instance_id", false);
    }

    static void inventory(KmsInventory inv, String selfQkdnId) {
        if (inv.getKmLinksCount() > MAX_LINKS) {
            throw invalid("inventory.km_links: at most " + MAX_LINKS);
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < inv.getKmLinksCount(); i++) {
            KmLink l = inv.getKmLinks(i);
            String f = "inventory.km_links[" + i + "]";
            uuid(l.getQkdlId(), f + ".qkdl_id");
            uuid(l.getNeighbourQkdnId(), f + ".neighbour_qkdn_id");
            if (l.getNeighbourQkdnId().equals(selfQkdnId)) {
                throw invalid(f + ".neighbour_qkdn_id: is this node");
            }
            if (!seen.add(l.getQkdlId())) {
                throw invalid(f + ".qkdl_id: listed twice");
            }
        }
    }

    static void poolReport(PoolReport r) {
        for (int i = 0; i < r.getPoolsCount(); i++) {
            PoolLevel p = r.getPools(i);
            String f = "pool_report.pools[" + i + "]";
            uuid(p.getQkdlId(), f + ".qkdl_id");
            if (!p.getOwnerQkdnId().isEmpty()) {
                uuid(p.getOwnerQkdnId(), f + ".owner_qkdn_id");
            }
            if (p.getMaxBits() > 0 && p.getAvailableBits() > p.getMaxBits()) {
                throw invalid(f + ".available_bits: above max_bits");
            }
        }
    }

    static void relayCounters(RelayCounters c) {
        for (int i = 0; i < c.getLinksCount(); i++) {
            uuid(c.getLinks(i).getQkdlId(), "relay_counters.links[" + i + "].qkdl_id");
        }
        // Every route a key manager holds, in every report: names only for an error.
        for (int i = 0; i < c.getInstalledServiceIdsCount(); i++) {
            if (!QkdIds.isUuid(c.getInstalledServiceIds(i))) {
                uuid(c.getInstalledServiceIds(i), "relay_counters.installed_service_ids[" + i + "]");
            }
        }
    }

    static void commandResult(CommandResult r) {
        if (!valid(r)) {
            commandResult(r, "command_result");
        }
    }

    static void commandResults(CommandResults r) {
        if (r.getResultsCount() == 0) {
            throw invalid("command_results.results: at least one expected");
        }
        for (int i = 0; i < r.getResultsCount(); i++) {
            // The field name is built only for an error: every acknowledgement passes here.
            if (!valid(r.getResults(i))) {
                commandResult(r.getResults(i), "command_results.results[" + i + "]");
            }
        }
    }

    /** Whether {@link #commandResult(CommandResult, String)} accepts {@code r}. */
    private static boolean valid(CommandResult r) {
        int code = r.getResult().getCode();
        return QkdIds.isUuid(r.getRequestId()) && r.hasResult() && Status.fromCodeValue(code).getCode().value() == code;
    }

    private static void commandResult(CommandResult r, String f) {
        uuid(r.getRequestId(), f + ".request_id");
        if (!r.hasResult()) {
            throw invalid(f + ".result: required");
        }
        if (Status.fromCodeValue(r.getResult().getCode()).getCode().value() != r.getResult().getCode()) {
            throw invalid(f + ".result.code: not a google.rpc.Code, got " + r.getResult().getCode());
        }
    }

    /** A key route as the northbound gives it; {@code f} prefixes field names ("route"). */
    static void route(KeyRoute r, String f) {
        // Field names are built only for an error: every route the controller installs passes here.
        if (!QkdIds.isUuid(r.getServiceId())) {
            uuid(r.getServiceId(), f + ".service_id");
        }
        if (!isSaeId(r.getMasterSaeId())) {
            sae(r.getMasterSaeId(), f + ".master_sae_id");
        }
        if (!isSaeId(r.getSlaveSaeId())) {
            sae(r.getSlaveSaeId(), f + ".slave_sae_id");
        }
        if (r.getMasterSaeId().equals(r.getSlaveSaeId())) {
            throw invalid(f + ".slave_sae_id: equals master_sae_id");
        }
        List<String> nodes = r.getRouteQkdnIdsList();
        if (nodes.size() < 2 || nodes.size() > MAX_ROUTE_NODES) {
            throw invalid(f + ".route_qkdn_ids: 2 to " + MAX_ROUTE_NODES + " nodes, got " + nodes.size());
        }
        if (r.getRouteQkdlIdsCount() != nodes.size() - 1) {
            throw invalid(f + ".route_qkdl_ids: " + nodes.size() + " nodes need " + (nodes.size() - 1)
                    + " links, got " + r.getRouteQkdlIdsCount());
        }
        Set<String> seen = new HashSet<>();
        for (int i = 0; i < nodes.size(); i++) {
            if (!QkdIds.isUuid(nodes.get(i))) {
                uuid(nodes.get(i), f + ".route_qkdn_ids[" + i + "]");
            }
            if (!seen.add(nodes.get(i))) {
                throw invalid(f + ".route_qkdn_ids[" + i + "]: node " + nodes.get(i) + " visited twice");
            }
        }
        for (int i = 0; i < r.getRouteQkdlIdsCount(); i++) {
            if (!QkdIds.isUuid(r.getRouteQkdlIds(i))) {
                uuid(r.getRouteQkdlIds(i), f + ".route_qkdl_ids[" + i + "]");
            }
            if (!seen.add(r.getRouteQkdlIds(i))) {
                throw invalid(f + ".route_qkdl_ids[" + i + "]: link listed twice");
            }
        }
        if (r.getBufferBits() == 0 || r.getBufferBits() % 8 != 0) {
            throw invalid(f + ".buffer_bits: must be a positive multiple of 8, got " + r.getBufferBits());
        }
        if (r.getBufferBits() > (1L << 40)) {
            throw invalid(f + ".buffer_bits: at most 2^40");
        }
    }

    private static void uuid(String s, String field) {
        if (s.isEmpty()) {
            throw invalid(field + ": required");
        }
        if (!QkdIds.isUuid(s)) {
            throw invalid(field + ": not a UUID: '" + shorten(s) + "'");
        }
    }

    private static void sae(String s, String field) {
        if (s.isEmpty()) {
            throw invalid(field + ": required");
        }
        if (!isSaeId(s)) {
            throw invalid(field + ": 1-128 characters of A-Z a-z 0-9 . _ : -, got '" + shorten(s) + "'");
        }
    }

    /**
     * An SAE id as the key managers accept it (kms-agent KeyServiceDefinition): 1-128 of
     * {@code [A-Za-z0-9._:-]}; a loop, not a regex matcher, since every route installed has two.
     */
    static boolean isSaeId(String s) {
        int n = s.length();
        if (n == 0 || n > 128) {
            return false;
        }
        for (int i = 0; i < n; i++) {
            char c = s.charAt(i);
            boolean ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9')
                    || c == '.' || c == '_' || c == ':' || c == '-';
            if (!ok) {
                return false;
            }
        }
        return true;
    }

    private static void text(String s, String field, boolean required) {
        if (required && s.isEmpty()) {
            throw invalid(field + ": required");
        }
        if (s.length() > MAX_TEXT) {
            throw invalid(field + ": at most " + MAX_TEXT + " characters");
        }
    }

    private static String shorten(String s) {
        return s.length() <= 64 ? s : s.substring(0, 64) + "...";
    }
}

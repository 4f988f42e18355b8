package org.qkdnf.controller.keyservice;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Instant;
import java.util.HashSet;
import java.util.regex.Pattern;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.Protection;

/** Checks of Nc requests: INVALID_ARGUMENT naming the field, NOT_FOUND naming an unknown node. */
final class KeyServiceValidator {

    static final Pattern SAE_ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
    static final int MAX_PRIORITY = 15;
    static final int MAX_CONSTRAINT_NODES = 64;
    static final long MAX_BANDWIDTH_BPS = 1L << 40;

    private KeyServiceValidator() {
    }

    static StatusRuntimeException invalid(String message) {
        return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
    }

    static StatusRuntimeException notFound(String message) {
        return Status.NOT_FOUND.withDescription(message).asRuntimeException();
    }

    /** A full spec (create, query). */
    static void spec(KeyServiceSpec spec, QkdTopologyService topology, Instant now) {
        sae("spec.master_sae_id", spec.getMasterSaeId());
        sae("spec.slave_sae_id", spec.getSlaveSaeId());
        if (spec.getMasterSaeId().equals(spec.getSlaveSaeId())) {
            throw invalid("spec.slave_sae_id: must differ from master_sae_id");
        }
        node("spec.master_qkdn_id", spec.getMasterQkdnId(), topology);
        node("spec.slave_qkdn_id", spec.getSlaveQkdnId(), topology);
        if (spec.getMasterQkdnId().equals(spec.getSlaveQkdnId())) {
            throw invalid("spec.slave_qkdn_id: must differ from master_qkdn_id (both SAEs on one node need no route)");
        }
        if (!spec.hasQos()) {
            throw invalid("spec.qos: required");
        }
        qos("spec.qos", spec.getQos(), now);
        if (spec.getProtection() == Protection.PROTECTION_UNSPECIFIED || spec.getProtection() == Protection.UNRECOGNIZED) {
            throw invalid("spec.protection: required (PROTECTION_NONE, PROTECTION_ONE_PLUS_ONE or PROTECTION_RESTORATION)");
        }
        constraints("spec.constraints", spec.getConstraints(), spec, topology);
    }

    static void qos(String field, AppQos qos, Instant now) {
        if (qos.getMinBandwidthBps() <= 0 || qos.getMinBandwidthBps() > MAX_BANDWIDTH_BPS) {
            throw invalid(field + ".min_bandwidth_bps: must be in 1.." + MAX_BANDWIDTH_BPS + ", got "
                    + Long.toUnsignedString(qos.getMinBandwidthBps()));
        }
        if (qos.getMaxBandwidthBps() != 0 && (Long.compareUnsigned(qos.getMaxBandwidthBps(), qos.getMinBandwidthBps()) < 0
                || Long.compareUnsigned(qos.getMaxBandwidthBps(), MAX_BANDWIDTH_BPS) > 0)) {
            throw invalid(field + ".max_bandwidth_bps: must be 0 or in min_bandwidth_bps.." + MAX_BANDWIDTH_BPS
                    + ", got " + Long.toUnsignedString(qos.getMaxBandwidthBps()));
        }
        if (Integer.compareUnsigned(qos.getPriority(), MAX_PRIORITY) > 0) {
            throw invalid(field + ".priority: must be in 0.." + MAX_PRIORITY + ", got "
                    + Integer.toUnsignedString(qos.getPriority()));
        }
        if (qos.getTtlS() != 0 && qos.hasExpiresAt()) {
            throw invalid(field + ".ttl_s: give ttl_s or expires_at, not both");
        }
        if (qos.getTtlS() < 0) {
            throw invalid(field + ".ttl_s: must be positive, got " + Integer.toUnsignedString(qos.getTtlS()));
        }
        if (qos.hasExpiresAt()) {
            Instant at = Instant.ofEpochSecond(qos.getExpiresAt().getSeconds(), qos.getExpiresAt().getNanos());
            if (!at.isAfter(now)) {
                throw invalid(field + ".expires_at: must be in the future, got " + at);
            }
        }
    }

    static void constraints(String field, PathConstraints c, KeyServiceSpec spec, QkdTopologyService topology) {
        if (c.getAvoidQkdnIdsCount() + c.getViaQkdnIdsCount() > MAX_CONSTRAINT_NODES) {
            throw invalid(field + ": at most " + MAX_CONSTRAINT_NODES + " nodes to avoid and pass");
        }
        var seen = new HashSet<String>();
        for (int i = 0; i < c.getAvoidQkdnIdsCount(); i++) {
            String id = c.getAvoidQkdnIds(i);
            node(field + ".avoid_qkdn_ids[" + i + "]", id, topology);
            if (id.equals(spec.getMasterQkdnId()) || id.equals(spec.getSlaveQkdnId())) {
                throw invalid(field + ".avoid_qkdn_ids[" + i + "]: " + id + " is an end of the service");
            }
            seen.add(id);
        }
        for (int i = 0; i < c.getViaQkdnIdsCount(); i++) {
            String id = c.getViaQkdnIds(i);
            node(field + ".via_qkdn_ids[" + i + "]", id, topology);
            if (id.equals(spec.getMasterQkdnId()) || id.equals(spec.getSlaveQkdnId())) {
                throw invalid(field + ".via_qkdn_ids[" + i + "]: " + id + " is an end of the service");
            }
            if (!seen.add(id)) {
                throw invalid(field + ".via_qkdn_ids[" + i + "]: " + id + " is named twice or also avoided");
            }
        }
    }

    static void serviceId(String id) {
        if (id.isEmpty()) {
            throw invalid("service_id: required");
        }
        try {
            java.util.UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw invalid("service_id: not a UUID: " + id);
        }
    }

    private static void sae(String field, String id) {
        if (id.isEmpty()) {
            throw invalid(field + ": required");
        }
        if (!SAE_ID.matcher(id).matches()) {
            throw invalid(field + ": must match " + SAE_ID.pattern());
        }
    }

    private static void node(String field, String id, QkdTopologyService topology) {
        if (id.isEmpty()) {
            throw invalid(field + ": required");
        }
        if (topology.getNode(id).isEmpty()) {
            throw notFound(field + ": unknown node " + (id.length() > 64 ? id.substring(0, 64) + "..." : id));
        }
    }
}

package org.qkdnf.controller.app.keyservice;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

import org.qkdnf.controller.keyservice.KeyServiceListener;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.ServiceRoute;

/**
 * Key services as every instance of the cluster offers them (CLI, REST, Nc): changes and path
 * queries run on the leader's manager (forwarded when this instance is not the leader); reads come
 * from the cluster's map. Futures fail with a gRPC {@code StatusRuntimeException} whose
 * description names the field (INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, UNAVAILABLE).
 */
public interface KeyServicesService {

    CompletableFuture<KeyService> create(KeyServiceSpec spec);

    /** New QoS and, unless null, new constraints. */
    CompletableFuture<KeyService> modify(String serviceId, AppQos qos, PathConstraints constraints);

    CompletableFuture<Void> delete(String serviceId);

    /** The route(s) {@code spec} would get now; nothing is reserved. */
    CompletableFuture<List<ServiceRoute>> queryPaths(KeyServiceSpec spec);

    /** Nodes and links with admissible and reserved rate, as the leader sees them. */
    CompletableFuture<GetTopologyResponse> topology();

    /** A set-up service (ACTIVE or DEGRADED), from the cluster's map. */
    Optional<KeyService> get(String serviceId);

    /** Every set-up service, by service id. */
    List<KeyService> list();

    /** The ONOS instance that owns the key services now, if one is elected. */
    Optional<String> leader();

    /** Told every change of a set-up service, on ONOS's map event thread; must return at once. */
    void addListener(KeyServiceListener listener);

    void removeListener(KeyServiceListener listener);
}

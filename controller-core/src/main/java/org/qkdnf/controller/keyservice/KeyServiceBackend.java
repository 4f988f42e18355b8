package org.qkdnf.controller.keyservice;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;

/**
 * What {@link KeyServiceGrpcService} needs from whoever owns the key services: the
 * {@link KeyServiceManager} itself (standalone), or a front that reaches the manager of the
 * instance owning them (inside ONOS). Futures fail with a gRPC {@code StatusRuntimeException}
 * whose description names the field; the gRPC service passes its status on unchanged.
 */
public interface KeyServiceBackend {

    /** Validates, routes, reserves and installs; completes with the ACTIVE service. */
    CompletableFuture<KeyService> create(KeyServiceSpec spec);

    /** New QoS and, unless null, new constraints. */
    CompletableFuture<KeyService> modify(String serviceId, AppQos qos, PathConstraints constraints);

    CompletableFuture<Void> delete(String serviceId);

    /** A set-up service; the id is validated by the caller. */
    Optional<KeyService> get(String serviceId);

    /** Every set-up service, by service id. */
    List<KeyService> list();

    /**
     * Tells {@code listener} every current service (removed = false), then every change, until
     * {@link #removeListener}; it must return at once. Calls may come from more than one thread,
     * and a change landing while the current services are told may come before or after them; the
     * last call about a service always carries its latest state. Fails with a status when the
     * listener cannot be registered.
     */
    CompletableFuture<Void> subscribe(KeyServiceListener listener);

    void removeListener(KeyServiceListener listener);

    /** The route(s) {@code spec} would get now; nothing is reserved. */
    CompletableFuture<List<ServiceRoute>> queryPaths(KeyServiceSpec spec);

    /** Nodes and links as the path computation sees them, with admissible and reserved rate. */
    CompletableFuture<GetTopologyResponse> topology();

    /**
     * Nc topology watch: {@code watcher} gets {@link #topology()}'s answer as the snapshot, then the
     * node and link changes, one call at a time, until {@link #unwatchTopology}; it must return at
     * once. The future fails with a status when the watch cannot start or the backend ends it (for
     * example because another instance owns the key services now: the client watches again);
     * completing normally says nothing more than that the watch is registered.
     */
    CompletableFuture<Void> watchTopology(Consumer<WatchTopologyResponse> watcher);

    void unwatchTopology(Consumer<WatchTopologyResponse> watcher);
}

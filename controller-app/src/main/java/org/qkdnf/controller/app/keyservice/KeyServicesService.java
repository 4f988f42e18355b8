package org.qkdnf.controller.app.keyservice;

import java.util.Optional;

import org.qkdnf.controller.keyservice.KeyServiceBackend;
import org.qkdnf.controller.keyservice.KeyServiceListener;

/**
 * Key services as every instance of the cluster offers them (CLI, REST, Nc through the core's
 * KeyServiceGrpcService): changes, path queries and the topology view run on the leader's manager
 * (forwarded when this instance is not the leader); reads come from the cluster's map. Futures
 * fail with a gRPC {@code StatusRuntimeException} whose description names the field
 * (INVALID_ARGUMENT, NOT_FOUND, RESOURCE_EXHAUSTED, UNAVAILABLE). A topology watch ends UNAVAILABLE
 * when another instance becomes the leader (the client watches again and gets the new leader's view).
 */
public interface KeyServicesService extends KeyServiceBackend {

    /** The ONOS instance that owns the key services now, if one is elected. */
    Optional<String> leader();

    /** Told every change of a set-up service, on ONOS's map event thread; must return at once. */
    void addListener(KeyServiceListener listener);
}

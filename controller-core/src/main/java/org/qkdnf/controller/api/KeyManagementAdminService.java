package org.qkdnf.controller.api;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;

/**
 * Writes of the key-management view: operator-pinned key routes, installed in and removed from
 * the key managers on the route over Sk. Thread-safe; futures fail with a
 * {@link io.grpc.StatusRuntimeException} whose description names the field or the node.
 */
public interface KeyManagementAdminService extends KeyManagementService {

    /**
     * Stores the route durably and sends InstallRoute to the key manager of every node on it.
     *
     * @param timeout how long to wait for all answers; null means the settings' command timeout
     * @return completes with the INSTALLED entry once every key manager acknowledged; fails with
     *         INVALID_ARGUMENT (bad route, naming the field), ALREADY_EXISTS (another route with this
     *         service id), FAILED_PRECONDITION (the service is being removed), UNAVAILABLE (a key
     *         manager on the route is not connected, naming its node) or the status of the first node
     *         (in route order) that refused or did not answer (DEADLINE_EXCEEDED), naming it; after
     *         such a failure the route is removed again from every node
     */
    CompletableFuture<KeyRouteEntry> installRoute(KeyRoute route, Duration timeout);

    /**
     * Marks the route REMOVING durably and sends RemoveRoute to every node on it.
     *
     * @return completes when every key manager acknowledged (the route is then forgotten); fails
     *         with NOT_FOUND, or with the status of a node that did not acknowledge, naming it; the
     *         route then stays REMOVING and the removal is re-sent when that key manager reconnects
     */
    CompletableFuture<Void> removeRoute(String serviceId, Duration timeout);
}

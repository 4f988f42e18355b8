package org.qkdnf.controller.api;

import java.util.List;
import java.util.Optional;

import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.KmNode;

/**
 * Reads of the key-management (Sk) view: the key managers known to the controller, the links
 * between them with the pool levels each end reported, and the key routes the controller holds.
 * Values are immutable protobuf snapshots ({@code qkdnf.keymgmt.v1}). Thread-safe.
 */
public interface KeyManagementService {

    /** Every key manager that ever registered (restored ones are disconnected until they reconnect). */
    List<KmNode> getKmNodes();

    Optional<KmNode> getKmNode(String qkdnId);

    /**
     * Every key-management link named by a key manager's inventory, with the lanes each end last
     * reported (pool levels are not durable: empty after a controller restart until the next report).
     */
    List<KmLinkState> getKmLinks();

    List<KeyRouteEntry> getKeyRoutes();

    Optional<KeyRouteEntry> getKeyRoute(String serviceId);
}

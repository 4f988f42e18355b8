package org.qkdnf.controller.api;

import java.util.Collection;
import java.util.Optional;

/** Read access to the QKD network topology held by the controller, plus listeners. Thread-safe. */
public interface QkdTopologyService {

    /** Every known node, each an immutable snapshot. */
    Collection<QkdNodeInfo> getNodes();

    Optional<QkdNodeInfo> getNode(String qkdnId);

    /** Every known link, each the merged view of both ends' reports. */
    Collection<QkdLinkInfo> getLinks();

    Optional<QkdLinkInfo> getLink(String qkdlId);

    /** The settings in force (QBER threshold, report interval, command timeout). */
    ControllerSettings settings();

    /**
     * Registers a listener. Events are delivered in order on one event-dispatch thread; the
     * callback must return at once (hand work to your own executor).
     */
    void addListener(QkdTopologyListener listener);

    void removeListener(QkdTopologyListener listener);
}

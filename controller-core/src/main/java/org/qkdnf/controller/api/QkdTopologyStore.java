package org.qkdnf.controller.api;

import java.util.Collection;
import java.util.Optional;
import java.util.function.UnaryOperator;

/**
 * Holds the topology; not for direct use (go through the manager, which validates). Each update
 * is atomic per key (a compute on the node's or link's entry) and produces events, derived with
 * {@link QkdTopologyEvents}, that the store hands to its delegate.
 *
 * <p>Durability contract: {@link #updateNode}, {@link #updateLink} and {@link #putSettings} are
 * structural and, in a durable store, written (and synced) before they return;
 * {@link #updateLinkPerformance} is the hot path (many updates per second per link) and is kept in
 * memory only: after a restart a link has its structure and status but no performance figures until
 * its agents report again.
 *
 * <p>Update functions run inside the store's atomic section: they must be pure and fast, and may
 * throw {@link QkdTopologyException} to abort the update (nothing changes).
 */
public interface QkdTopologyStore {

    void setDelegate(QkdTopologyStoreDelegate delegate);

    void unsetDelegate(QkdTopologyStoreDelegate delegate);

    Collection<QkdNodeInfo> getNodes();

    Optional<QkdNodeInfo> getNode(String qkdnId);

    Collection<QkdLinkInfo> getLinks();

    Optional<QkdLinkInfo> getLink(String qkdlId);

    /**
     * Atomically replaces the node with {@code fn(current)}; {@code current} is null when absent,
     * a null result removes the node. Durable.
     *
     * @return the new value (null if removed or still absent)
     */
    QkdNodeInfo updateNode(String qkdnId, UnaryOperator<QkdNodeInfo> fn);

    /** As {@link #updateNode} for a link's structure (ends, status). Durable. */
    QkdLinkInfo updateLink(String qkdlId, UnaryOperator<QkdLinkInfo> fn);

    /**
     * Atomically updates an existing link's performance (and the status/degraded flags it
     * implies); {@code fn} never sees null. In memory only. Posts LINK_PERFORMANCE.
     *
     * @return the new value, or null when the link does not exist ({@code fn} not called)
     */
    QkdLinkInfo updateLinkPerformance(String qkdlId, UnaryOperator<QkdLinkInfo> fn);

    /**
     * Runs {@code work} (several structural updates) so that its durable writes may be synced
     * once at the end instead of once per update; durable before this returns. The default runs
     * the work as is (each update durable on its own).
     */
    default <T> T batch(java.util.function.Supplier<T> work) {
        return work.get();
    }

    /** The persisted settings, if any were ever stored. */
    Optional<ControllerSettings> getSettings();

    /** Persists the settings. Durable. */
    void putSettings(ControllerSettings settings);
}

package org.qkdnf.controller.app.keyservice;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;
import java.util.function.Supplier;

import io.grpc.Status;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The Nc topology watches of one instance. The leader's manager decides which changes are worth
 * sending (the core's TopologyWatchers); the leader hands them to its own watches and broadcasts
 * them to the other instances, which hand them to theirs ({@link #changed}). A new watch is
 * registered first and then gets its snapshot (the leader's GetTopology answer); changes arriving
 * meanwhile are held and sent after the snapshot, so none is lost (one may repeat what the snapshot
 * shows: every message carries the whole node or link). When another instance becomes the leader
 * its view starts afresh, so every watch ends UNAVAILABLE ({@link #endAll}) and the client
 * watches again.
 *
 * <p>Threads: any; watchers are called under this object's lock, one message at a time, in order.
 */
final class ClusterTopologyWatch {

    private static final Logger log = LoggerFactory.getLogger(ClusterTopologyWatch.class);

    /** One watch: messages held until its snapshot was sent ({@code held} null once it was). */
    private static final class Watch {
        final CompletableFuture<Void> ended = new CompletableFuture<>();
        List<WatchTopologyResponse> held = new ArrayList<>();
    }

    /** Guarded by this. */
    private final Map<Consumer<WatchTopologyResponse>, Watch> watches = new LinkedHashMap<>();

    /**
     * Registers {@code watcher}, then sends it {@code snapshot}'s answer and what changed meanwhile.
     * The future fails when the snapshot cannot be had or the watch is ended.
     */
    CompletableFuture<Void> watch(Consumer<WatchTopologyResponse> watcher,
                                  Supplier<CompletableFuture<GetTopologyResponse>> snapshot) {
        Watch w = new Watch();
        synchronized (this) {
            watches.put(watcher, w);
        }
        CompletableFuture<GetTopologyResponse> s;
        try {
            s = snapshot.get();
        } catch (RuntimeException e) {
            s = CompletableFuture.failedFuture(e);
        }
        s.whenComplete((topology, error) -> {
            synchronized (this) {
                if (watches.get(watcher) != w) {
                    return;  // cancelled or ended meanwhile
                }
                if (error != null) {
                    watches.remove(watcher);
                    w.ended.completeExceptionally(error);
                    return;
                }
                List<WatchTopologyResponse> held = w.held;
                w.held = null;
                deliver(watcher, WatchTopologyResponse.newBuilder().setSnapshot(topology).build());
                for (WatchTopologyResponse r : held) {
                    deliver(watcher, r);
                }
            }
        });
        return w.ended;
    }

    synchronized void unwatch(Consumer<WatchTopologyResponse> watcher) {
        watches.remove(watcher);
    }

    /** A change the leader's manager sent (never a snapshot). */
    synchronized void changed(WatchTopologyResponse change) {
        for (Map.Entry<Consumer<WatchTopologyResponse>, Watch> e : new ArrayList<>(watches.entrySet())) {
            if (e.getValue().held != null) {
                e.getValue().held.add(change);
            } else {
                deliver(e.getKey(), change);
            }
        }
    }

    /** Ends every watch with UNAVAILABLE and {@code reason} (the view it started from is gone). */
    synchronized void endAll(String reason) {
        List<Watch> ended = new ArrayList<>(watches.values());
        watches.clear();
        for (Watch w : ended) {
            w.ended.completeExceptionally(Status.UNAVAILABLE.withDescription(reason).asRuntimeException());
        }
    }

    /** Under the lock. */
    private void deliver(Consumer<WatchTopologyResponse> watcher, WatchTopologyResponse r) {
        try {
            watcher.accept(r);
        } catch (RuntimeException e) {
            log.warn("topology watcher failed; dropped", e);
            watches.remove(watcher);
        }
    }
}

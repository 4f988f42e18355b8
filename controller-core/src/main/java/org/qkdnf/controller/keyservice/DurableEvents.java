package org.qkdnf.controller.keyservice;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Supplier;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Tells the key-service listeners (the Nc watch, the hosts' views) of a change only once it is
 * durable: a watcher must never see a state that a crash could take back, such as ACTIVE before
 * the record saying so is on the device. Changes are published in rounds. A round closes when the
 * manager asks for durability ({@link #durable()}: the answer to a modify or delete then leaves
 * after its change was published) or, for changes nobody waits on (a setup's ACTIVE, whose answer
 * waits on the store itself), at the end of the owner thread's current queue, so a burst of
 * setups shares one round. Each round is published once the store flush asked for when it closed
 * has completed, and rounds are published in the order they closed, so listeners see every
 * service's changes in the order they were made.
 *
 * <p>Threads: the key-service manager's owner thread only, which also runs the publications;
 * {@code listeners} may be changed from any thread.
 */
final class DurableEvents {

    private static final Logger log = LoggerFactory.getLogger(DurableEvents.class);

    private final Executor owner;
    /** Completes (on any thread) once every change staged before the call is durable. */
    private final Supplier<CompletableFuture<Void>> stored;
    private final List<KeyServiceListener> listeners;
    /** Every service as listeners were last told of it: what a new subscriber starts from. */
    private final Map<String, KeyService> published = new HashMap<>();
    /** Changes of the round not closed yet. */
    private List<Change> open = new ArrayList<>();
    /** Closed rounds not published yet, oldest first. */
    private final ArrayDeque<Round> closed = new ArrayDeque<>();
    private boolean closeQueued;

    DurableEvents(Executor owner, Supplier<CompletableFuture<Void>> stored, List<KeyServiceListener> listeners) {
        this.owner = owner;
        this.stored = stored;
        this.listeners = listeners;
    }

    /** A service found in the store at start: durable, so already what subscribers start from. */
    void restored(KeyService s) {
        published.put(s.getServiceId(), s);
    }

    /** Publishes {@code s} (its last state when {@code removed}) once a flush after this call completes. */
    void changed(KeyService s, boolean removed) {
        open.add(new Change(s, removed));
        if (!closeQueued) {
            closeQueued = true;
            try {
                owner.execute(() -> {
                    closeQueued = false;
                    if (!open.isEmpty()) {
                        close();
                    }
                });
            } catch (RejectedExecutionException e) {
                log.debug("closing: key-service changes not published");
            }
        }
    }

    /**
     * Completes on the owner thread once every change staged so far, in the stores and here, is
     * durable and its listeners were told; fails when the store could not make it durable.
     */
    CompletableFuture<Void> durable() {
        return close().published;
    }

    /**
     * Tells {@code listener} every published service, by service id, then registers it: it misses
     * no change and sees none before it is durable.
     */
    void subscribe(KeyServiceListener listener) {
        List<KeyService> now = new ArrayList<>(published.values());
        now.sort(Comparator.comparing(KeyService::getServiceId));
        for (KeyService s : now) {
            listener.keyServiceChanged(s, false);
        }
        listeners.add(listener);
    }

    private Round close() {
        Round r = new Round(open);
        open = new ArrayList<>();
        closed.add(r);
        stored.get().whenComplete((v, e) -> {
            try {
                owner.execute(() -> {
                    r.failure = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    r.durable = true;
                    publishDurableRounds();
                });
            } catch (RejectedExecutionException x) {
                log.debug("closing: key-service changes made durable after the owner thread stopped");
            }
        });
        return r;
    }

    private void publishDurableRounds() {
        while (!closed.isEmpty() && closed.peek().durable) {
            Round r = closed.poll();
            if (r.failure != null) {
                // Not durable: a crash may take these back, so no listener hears of them.
                log.warn("{} key-service changes not published: the store did not make them durable",
                        r.changes.size(), r.failure);
                r.published.completeExceptionally(r.failure);
                continue;
            }
            for (Change c : r.changes) {
                if (c.removed) {
                    published.remove(c.service.getServiceId());
                } else {
                    published.put(c.service.getServiceId(), c.service);
                }
                for (KeyServiceListener l : listeners) {
                    try {
                        l.keyServiceChanged(c.service, c.removed);
                    } catch (RuntimeException e) {
                        log.warn("key service listener {} failed", l, e);
                    }
                }
            }
            r.published.complete(null);
        }
    }

    private static final class Change {
        final KeyService service;
        final boolean removed;

        Change(KeyService service, boolean removed) {
            this.service = service;
            this.removed = removed;
        }
    }

    private static final class Round {
        final List<Change> changes;
        final CompletableFuture<Void> published = new CompletableFuture<>();
        boolean durable;
        Throwable failure;

        Round(List<Change> changes) {
            this.changes = changes;
        }
    }
}

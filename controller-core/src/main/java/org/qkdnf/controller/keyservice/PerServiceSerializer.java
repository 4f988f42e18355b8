package org.qkdnf.controller.keyservice;

import java.util.ArrayDeque;
import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Supplier;

/**
 * One operation at a time per key service, any number of services at once. An operation runs on
 * the owner thread until it waits for something (the store's sync, the key managers'
 * acknowledgements), then the thread moves on to other services; a later operation on the same
 * service (a delete after a create's install, a recovery during a modify) waits in that service's
 * queue until the earlier one finished. So a route is never removed while its own install is in
 * flight, and every change of one service is seen by listeners in the order it was made.
 *
 * <p>Threads: owner thread only (the key-service manager's executor). An operation's future must
 * complete on that thread.
 */
final class PerServiceSerializer {

    /** Services with an operation in flight, each with the operations waiting behind it. */
    private final Map<String, ArrayDeque<Runnable>> waiting = new HashMap<>();

    /** Runs {@code op} now if {@code serviceId} is idle, else after the operations queued before it. */
    <T> CompletableFuture<T> run(String serviceId, Supplier<CompletableFuture<T>> op) {
        CompletableFuture<T> result = new CompletableFuture<>();
        Runnable start = () -> {
            CompletableFuture<T> f;
            try {
                f = op.get();
            } catch (RuntimeException e) {
                f = CompletableFuture.failedFuture(e);
            }
            f.whenComplete((v, e) -> {
                try {
                    if (e != null) {
                        result.completeExceptionally(e instanceof CompletionException && e.getCause() != null
                                ? e.getCause() : e);
                    } else {
                        result.complete(v);
                    }
                } finally {
                    next(serviceId);
                }
            });
        };
        ArrayDeque<Runnable> queue = waiting.get(serviceId);
        if (queue != null) {
            queue.add(start);
        } else {
            waiting.put(serviceId, new ArrayDeque<>());
            start.run();
        }
        return result;
    }

    /** Whether an operation of {@code serviceId} is in flight. */
    boolean busy(String serviceId) {
        return waiting.containsKey(serviceId);
    }

    /** Operations in flight, all services. */
    int inFlight() {
        return waiting.size();
    }

    private void next(String serviceId) {
        ArrayDeque<Runnable> queue = waiting.get(serviceId);
        Runnable r = queue == null ? null : queue.poll();
        if (r == null) {
            waiting.remove(serviceId);
        } else {
            r.run();
        }
    }
}

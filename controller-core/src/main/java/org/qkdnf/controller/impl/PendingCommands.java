package org.qkdnf.controller.impl;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

import io.grpc.Status;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Commands sent to the agents of nodes over their streams and not answered yet, for both
 * southbound streams (Sq: qkd-agents, Sk: key managers). Each caller's future completes with the
 * node's result, or with DEADLINE_EXCEEDED (naming the node) when the timeout passes first, or
 * UNAVAILABLE when the stream it went out on ends or cannot take it.
 *
 * <p>Threads: {@code channels} and {@code pending} are concurrent maps; a pending command is
 * finished exactly once by whichever of result, timeout or disconnect removes it from
 * {@code pending} first ({@code remove(key, value)} decides). Timeouts run on the injected
 * scheduler, which the host owns. Futures complete on the thread that finished them (a stream's
 * inbound thread or the scheduler): dependents must not block.
 *
 * @param <C> the sending side of a stream (thread-safe)
 * @param <R> a result
 */
public final class PendingCommands<C, R> {

    private static final Logger log = LoggerFactory.getLogger(PendingCommands.class);

    private final String peer;
    private final ScheduledExecutorService scheduler;
    private final ConcurrentHashMap<String, C> channels = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, Pending<C, R>> pending = new ConcurrentHashMap<>();

    private static final class Pending<C, R> {
        final String qkdnId;
        final C channel;
        final CompletableFuture<R> future = new CompletableFuture<>();
        volatile ScheduledFuture<?> timeout;

        Pending(String qkdnId, C channel) {
            this.qkdnId = qkdnId;
            this.channel = channel;
        }
    }

    /**
     * A scheduler for the timeouts: one daemon thread named {@code threadName}, and a cancelled
     * timeout leaves its queue at once. Why: nearly every command is answered long before its
     * timeout, and with the JDK's default policy each cancelled task stays queued until its delay
     * ends, so thousands of route installs a second piled up tens of thousands of dead 10 s tasks
     * that every new insert had to sift past.
     */
    public static ScheduledExecutorService newTimeoutScheduler(String threadName) {
        ScheduledThreadPoolExecutor s = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, threadName);
            t.setDaemon(true);
            return t;
        });
        s.setRemoveOnCancelPolicy(true);
        return s;
    }

    /**
     * @param peer what answers, for messages: "agent", "key manager"
     * @param scheduler runs the timeouts ({@link #newTimeoutScheduler} makes a fitting one)
     */
    public PendingCommands(String peer, ScheduledExecutorService scheduler) {
        this.peer = Objects.requireNonNull(peer, "peer");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** The node is reachable through {@code channel} (replacing an older one). */
    public void connected(String qkdnId, C channel) {
        channels.put(qkdnId, channel);
    }

    /**
     * The stream behind {@code channel} ended: commands sent through it will never be answered and
     * fail with UNAVAILABLE. A newer channel of the same node stays registered.
     */
    public void disconnected(String qkdnId, C channel) {
        channels.remove(qkdnId, channel);
        for (Map.Entry<String, Pending<C, R>> e : pending.entrySet()) {
            Pending<C, R> p = e.getValue();
            if (p.channel == channel && pending.remove(e.getKey(), p)) {
                p.future.completeExceptionally(Status.UNAVAILABLE
                        .withDescription(peer + " of node " + qkdnId + " disconnected before answering")
                        .asRuntimeException());
            }
        }
    }

    public boolean isConnected(String qkdnId) {
        return channels.containsKey(qkdnId);
    }

    /**
     * Registers {@code requestId} as pending and hands the node's channel to {@code send}; never
     * throws. A failure of {@code send} fails the future UNAVAILABLE.
     */
    public CompletableFuture<R> send(String qkdnId, String requestId, Duration timeout, Consumer<C> send) {
        C channel = channels.get(qkdnId);
        if (channel == null) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription(peer + " of node " + qkdnId + " is not connected").asRuntimeException());
        }
        Pending<C, R> p = new Pending<>(qkdnId, channel);
        if (pending.putIfAbsent(requestId, p) != null) {
            return CompletableFuture.failedFuture(Status.ALREADY_EXISTS
                    .withDescription("request_id: " + requestId + " is already pending").asRuntimeException());
        }
        p.timeout = scheduler.schedule(() -> {
            if (pending.remove(requestId, p)) {
                p.future.completeExceptionally(Status.DEADLINE_EXCEEDED
                        .withDescription(peer + " of node " + qkdnId + " did not answer request " + requestId
                                + " within " + timeout)
                        .asRuntimeException());
            }
        }, timeout.toNanos(), TimeUnit.NANOSECONDS);
        p.future.whenComplete((r, e) -> {
            ScheduledFuture<?> f = p.timeout;
            if (f != null) {
                f.cancel(false);
            }
            pending.remove(requestId, p);
        });
        try {
            send.accept(channel);
        } catch (RuntimeException e) {
            if (pending.remove(requestId, p)) {
                p.future.completeExceptionally(Status.UNAVAILABLE
                        .withDescription(peer + " of node " + qkdnId + " is not reachable").withCause(e)
                        .asRuntimeException());
            }
        }
        return p.future;
    }

    /**
     * A node answered. Results for unknown (finished, timed out) requests are dropped, and so are
     * results from another node than the one the command went to.
     *
     * @return whether the result completed a pending command
     */
    public boolean onResult(String fromQkdnId, String requestId, R result) {
        Pending<C, R> p = pending.get(requestId);
        if (p == null) {
            log.debug("result for unknown or finished request {} from {}", requestId, fromQkdnId);
            return false;
        }
        if (!p.qkdnId.equals(fromQkdnId)) {
            log.warn("node {} answered request {} that was sent to {}; ignored", fromQkdnId, requestId, p.qkdnId);
            return false;
        }
        return pending.remove(requestId, p) && p.future.complete(result);
    }

    /** Number of commands awaiting an answer. */
    public int size() {
        return pending.size();
    }
}

package org.qkdnf.controller.impl;

import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ScheduledExecutorService;
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
 * <p>Timeouts: commands whose deadlines fall in the same {@link #TICK_NANOS} tick share one task
 * on the scheduler, so a command times out at most a tick after its timeout. One task per command
 * cost an insert into the scheduler's delay queue for each of thousands of route installs a second,
 * and a cancelled task stayed queued for its whole timeout (tens of thousands of entries, every
 * insert sifting them under the queue's lock, which the key managers' outbox flushes share).
 *
 * <p>Threads: {@code channels}, {@code pending}, {@code ticks} and each tick's commands are
 * concurrent maps; a pending command is finished exactly once by whichever of result, timeout or
 * disconnect removes it from {@code pending} first ({@code remove(key, value)} decides). A tick is
 * taken out of {@code ticks} before its commands are read, and a sender that finds its tick gone
 * after joining it times its command out itself, so none is missed. Timeouts run on the injected
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
    /** Commands by the tick in which their timeout ends (System.nanoTime() / TICK_NANOS). */
    private final ConcurrentHashMap<Long, Map<String, Pending<C, R>>> ticks = new ConcurrentHashMap<>();

    /** Timeouts end on tick boundaries of this length: late by less than that, never early. */
    static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(10);

    private static final class Pending<C, R> {
        final String qkdnId;
        final C channel;
        final Duration timeout;
        final CompletableFuture<R> future = new CompletableFuture<>();

        Pending(String qkdnId, C channel, Duration timeout) {
            this.qkdnId = qkdnId;
            this.channel = channel;
            this.timeout = timeout;
        }
    }

    /**
     * @param peer what answers, for messages: "agent", "key manager"
     * @param scheduler runs the timeouts
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
        Pending<C, R> p = new Pending<>(qkdnId, channel, timeout);
        if (pending.putIfAbsent(requestId, p) != null) {
            return CompletableFuture.failedFuture(Status.ALREADY_EXISTS
                    .withDescription("request_id: " + requestId + " is already pending").asRuntimeException());
        }
        // The tick after the one the timeout ends in: never early.
        long tick = Math.floorDiv(System.nanoTime() + timeout.toNanos(), TICK_NANOS) + 1;
        Map<String, Pending<C, R>> due = tick(tick);
        due.put(requestId, p);
        if (ticks.get(tick) != due) {
            timeOut(requestId, p); // the tick fired while this command joined it
        }
        p.future.whenComplete((r, e) -> {
            due.remove(requestId, p);
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

    /** The commands timing out in {@code tick}; the first to join a tick schedules its task. */
    private Map<String, Pending<C, R>> tick(long tick) {
        Map<String, Pending<C, R>> due = ticks.get(tick);
        if (due != null) {
            return due;
        }
        Map<String, Pending<C, R>> fresh = new ConcurrentHashMap<>();
        due = ticks.putIfAbsent(tick, fresh);
        if (due != null) {
            return due;
        }
        scheduleTick(tick); // after the tick is in the map, where its task will find it
        return fresh;
    }

    /** Times out, when {@code tick} begins, the commands of it still pending. */
    private void scheduleTick(long tick) {
        scheduler.schedule(() -> {
            Map<String, Pending<C, R>> due = ticks.remove(tick);
            if (due != null) {
                due.forEach(this::timeOut);
            }
        }, tick * TICK_NANOS - System.nanoTime(), TimeUnit.NANOSECONDS);
    }

    private void timeOut(String requestId, Pending<C, R> p) {
        if (pending.remove(requestId, p)) {
            p.future.completeExceptionally(Status.DEADLINE_EXCEEDED
                    .withDescription(peer + " of node " + p.qkdnId + " did not answer request " + requestId
                            + " within " + p.timeout)
                    .asRuntimeException());
        }
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

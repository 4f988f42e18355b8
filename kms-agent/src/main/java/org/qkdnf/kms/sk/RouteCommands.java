package org.qkdnf.kms.sk;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.grpc.Status;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.service.KeyServiceManager;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Executes the controller's route commands (InstallRoute, RemoveRoute) many at a time, in the
 * order they arrived for each service id, and answers each once its change is durable.
 *
 * <p>Why concurrent: each command ends in a sync of the service store, and one at a time a key
 * manager managed about 40 per second. Now installs are applied at once and share syncs (group
 * commit, {@link KeyServiceManager#installAllAsync}): the installs of one batch from the controller
 * are applied together and wait for one sync, so their answers leave together (one sync and one
 * results message per batch, not two or three as when each install asked for its own sync while
 * the batch was still being applied); removals block in their sync, so they run on
 * {@value #REMOVE_THREADS} threads whose syncs are shared too. Commands of one service id form a
 * chain: each starts only once the one before has been answered, so an install never races its
 * own later removal (or the reverse). A command whose deadline passed before its turn came is
 * answered DEADLINE_EXCEEDED without being executed (the controller already gave up and rolls back).
 *
 * <p>Threads: {@link #submit} may be called from any thread. {@link #tails} is guarded by its own
 * monitor. Installs are applied on the thread that starts their turn (the caller, or whichever
 * thread finished the command before them); removals run on the {@code sk-remove-<node>} threads.
 * Result futures complete on a store or remover thread: dependants must be short.
 */
final class RouteCommands implements AutoCloseable {

    /** Installs applied together and answered after one sync, at most (a batch is cut in slices). */
    static final int INSTALL_SLICE = 64;
    /** Removals waiting for a sync at once; each mostly waits, so more threads mean bigger groups. */
    static final int REMOVE_THREADS = 16;
    private static final Logger log = LoggerFactory.getLogger(RouteCommands.class);
    /** The answer of every successful install: built once, not once per install. */
    private static final OperationResult INSTALLED = result(Status.Code.OK, "installed");

    private final String qkdnId;
    private final KeyServiceManager services;
    private final ThreadPoolExecutor removers;
    /** Per service id, the answer of its last command not yet answered. */
    private final Map<UUID, CompletableFuture<OperationResult>> tails = new HashMap<>();

    RouteCommands(String qkdnId, KeyServiceManager services) {
        this.qkdnId = qkdnId;
        this.services = services;
        this.removers = new ThreadPoolExecutor(REMOVE_THREADS, REMOVE_THREADS, 30, TimeUnit.SECONDS,
                new LinkedBlockingQueue<>(), r -> {
                    Thread t = new Thread(r, "sk-remove-" + qkdnId);
                    t.setDaemon(true);
                    return t;
                });
        removers.allowCoreThreadTimeOut(true);  // idle key managers keep no threads
    }

    /** Runs {@code c} after the earlier commands of its service id; the future never fails. */
    CompletableFuture<OperationResult> submit(KmsCommand c) {
        return submitAll(List.of(c)).get(0);
    }

    /**
     * Runs each command after the earlier ones of its service id (those of this batch included);
     * the answers in the batch's order, futures that never fail. The installs whose turn is now are
     * applied together, after every command of the batch has taken its place in its chain.
     */
    List<CompletableFuture<OperationResult>> submitAll(List<KmsCommand> batch) {
        List<CompletableFuture<OperationResult>> answers = new ArrayList<>(batch.size());
        List<KeyServiceDefinition> installs = new ArrayList<>();
        List<CompletableFuture<OperationResult>> installTurns = new ArrayList<>();
        // Other commands whose turn is now start after the installs are applied: a removal holds the
        // store through its sync, and a new route is what a rerouted service waits for.
        List<Runnable> startAfterInstalls = new ArrayList<>();
        Instant now = Instant.now();
        for (KmsCommand c : batch) {
            UUID serviceId;
            try {
                serviceId = serviceIdOf(c);
            } catch (IllegalArgumentException e) {
                answers.add(CompletableFuture.completedFuture(result(Status.Code.INVALID_ARGUMENT, e.getMessage())));
                continue;
            }
            CompletableFuture<OperationResult> before;
            CompletableFuture<OperationResult> answer = new CompletableFuture<>();
            synchronized (tails) {
                before = tails.put(serviceId, answer);
            }
            CompletableFuture<OperationResult> turn;
            if (before == null && c.getCommandCase() == KmsCommand.CommandCase.INSTALL_ROUTE && !pastDeadline(c, now)) {
                turn = new CompletableFuture<>();
                try {
                    installs.add(definition(serviceId, c.getInstallRoute().getRoute()));
                    installTurns.add(turn);
                } catch (RuntimeException e) {
                    turn.complete(failed(c, e));
                }
            } else if (before == null) {
                CompletableFuture<OperationResult> started = new CompletableFuture<>();
                startAfterInstalls.add(() -> start(c).whenComplete((r, x) -> {
                    if (x == null) {
                        started.complete(r);
                    } else {
                        started.completeExceptionally(x);
                    }
                }));
                turn = started;
            } else {
                // Started outside the monitor: an install takes the store's lock.
                turn = before.thenCompose(r -> start(c));
            }
            turn.whenComplete((r, x) -> {
                synchronized (tails) {
                    tails.remove(serviceId, answer);
                }
                answer.complete(x == null ? r : failed(c, x));
            });
            answers.add(answer);
        }
        // In slices: the first slice's sync runs while the next ones are applied, so a burst of
        // hundreds (a reroute after a cut) is answered in steps instead of all after the last.
        for (int from = 0; from < installs.size(); from += INSTALL_SLICE) {
            int to = Math.min(installs.size(), from + INSTALL_SLICE);
            install(installs.subList(from, to), installTurns.subList(from, to));
        }
        startAfterInstalls.forEach(Runnable::run);
        return answers;
    }

    /** Completes each turn with its install's result. Never throws. */
    private void install(List<KeyServiceDefinition> installs, List<CompletableFuture<OperationResult>> turns) {
        List<CompletableFuture<Void>> durable;
        try {
            durable = services.installAllAsync(installs);
        } catch (RuntimeException e) {
            turns.forEach(t -> t.completeExceptionally(e));
            return;
        }
        for (int i = 0; i < turns.size(); i++) {
            CompletableFuture<OperationResult> turn = turns.get(i);
            durable.get(i).whenComplete((v, x) -> {
                if (x == null) {
                    turn.complete(INSTALLED);
                } else {
                    turn.completeExceptionally(x);
                }
            });
        }
    }

    private static boolean pastDeadline(KmsCommand c, Instant now) {
        return c.hasDeadline() && now.isAfter(Instant.ofEpochSecond(c.getDeadline().getSeconds(),
                c.getDeadline().getNanos()));
    }

    /** The command's turn has come after an earlier one of its service id. Never fails: every failure becomes a result. */
    private CompletableFuture<OperationResult> start(KmsCommand c) {
        if (pastDeadline(c, Instant.now())) {
            return CompletableFuture.completedFuture(
                    result(Status.Code.DEADLINE_EXCEEDED, "deadline: passed before the command was executed"));
        }
        try {
            switch (c.getCommandCase()) {
                case INSTALL_ROUTE:
                    KeyRoute route = c.getInstallRoute().getRoute();
                    return services.installAsync(definition(UUID.fromString(route.getServiceId()), route))
                            .handle((v, x) -> x == null ? INSTALLED : failed(c, x));
                case REMOVE_ROUTE:
                    return CompletableFuture.supplyAsync(() -> remove(c), removers);
                default:
                    return CompletableFuture.completedFuture(
                            result(Status.Code.UNIMPLEMENTED, "command: not set or not supported"));
            }
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(failed(c, e));
        }
    }

    private OperationResult remove(KmsCommand c) {
        String id = c.getRemoveRoute().getServiceId();
        try {
            boolean existed = services.remove(UUID.fromString(id));
            if (existed) {
                log.info("key service {} removed by the controller", id);
            }
            return result(Status.Code.OK, existed ? "removed" : "was not installed");
        } catch (RuntimeException e) {
            return failed(c, e);
        }
    }

    private OperationResult failed(KmsCommand c, Throwable x) {
        Throwable e = x instanceof CompletionException && x.getCause() != null ? x.getCause() : x;
        if (e instanceof IllegalArgumentException) {
            return result(Status.Code.INVALID_ARGUMENT, e.getMessage());
        }
        log.warn("node {}: command {} failed", qkdnId, c.getCommandCase(), e);
        return result(Status.Code.INTERNAL, "command failed: " + e.getClass().getSimpleName());
    }

    private static UUID serviceIdOf(KmsCommand c) {
        switch (c.getCommandCase()) {
            case INSTALL_ROUTE:
                return parseId(c.getInstallRoute().getRoute().getServiceId(), "install_route.route.service_id");
            case REMOVE_ROUTE:
                return parseId(c.getRemoveRoute().getServiceId(), "remove_route.service_id");
            default:
                // Unknown commands touch no service: one shared chain keeps them answered in order.
                return new UUID(0, 0);
        }
    }

    private static UUID parseId(String id, String field) {
        try {
            return UUID.fromString(id);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(field + ": not a UUID: '" + id + "'");
        }
    }

    private static KeyServiceDefinition definition(UUID serviceId, KeyRoute r) {
        return new KeyServiceDefinition(serviceId, r.getMasterSaeId(), r.getSlaveSaeId(), r.getRouteQkdnIdsList(),
                r.getRouteQkdlIdsList(), r.getBufferBits());
    }

    static OperationResult result(Status.Code code, String message) {
        return OperationResult.newBuilder().setCode(code.value()).setMessage(message).build();
    }

    /** Lets running removals finish (bounded); an interrupt would close the store's file mid-sync. */
    @Override
    public void close() {
        removers.shutdown();
        try {
            if (!removers.awaitTermination(10, TimeUnit.SECONDS)) {
                log.warn("node {}: route removals still running after 10 s", qkdnId);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}

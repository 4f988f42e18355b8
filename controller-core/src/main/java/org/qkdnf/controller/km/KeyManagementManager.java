package org.qkdnf.controller.km;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Supplier;

import com.google.protobuf.Timestamp;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.api.KeyManagementStore;
import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.controller.impl.PendingCommands;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.InstallRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KeyRouteEntry;
import org.qkdnf.proto.keymgmt.v1.KeyRouteState;
import org.qkdnf.proto.keymgmt.v1.KmLink;
import org.qkdnf.proto.keymgmt.v1.KmLinkState;
import org.qkdnf.proto.keymgmt.v1.KmNode;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsHello;
import org.qkdnf.proto.keymgmt.v1.KmsInventory;
import org.qkdnf.proto.keymgmt.v1.PoolLevel;
import org.qkdnf.proto.keymgmt.v1.PoolReport;
import org.qkdnf.proto.keymgmt.v1.RelayCounters;
import org.qkdnf.proto.keymgmt.v1.RemoveRoute;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The controller's key-management view and its operator-pinned key routes: key managers
 * (registration durable, connection, pool levels and counters in memory), the links between them
 * (derived from the inventories on each read) and key routes (durable, with their state).
 *
 * <p>Route life cycle: INSTALLING (durable before anything is sent) then INSTALLED once every key
 * manager on the route acknowledged (durable before the caller hears of it); on any failure, or when found INSTALLING after a controller
 * restart (its caller never got an answer), REMOVING; a REMOVING route is forgotten once every
 * key manager acknowledged the removal. When a key manager (re)connects it is sent InstallRoute
 * for every INSTALLING or INSTALLED route through its node and RemoveRoute for every REMOVING one,
 * so routes survive both ends' restarts.
 *
 * <p>Threads: node snapshots live in a concurrent map and are replaced by {@code compute}, so
 * concurrent reports of one node never lose each other. Route state transitions (map and store)
 * happen under {@code routeLock}: short sections that only stage the write; the store's
 * {@code flush()} makes a batch of them durable off the caller's thread (key services install
 * thousands of routes a second), and what depends on durability (sending the install or the
 * removal, acknowledging INSTALLED) waits for it without blocking a thread. No thread waits for a
 * key manager either: commands go out through {@link PendingCommands} and the futures complete
 * on the stream's inbound thread, the timeout scheduler or the store's commit thread.
 */
public final class KeyManagementManager implements KeyManagementAdminService {

    private static final Logger log = LoggerFactory.getLogger(KeyManagementManager.class);

    private final KeyManagementStore store;
    private final Supplier<ControllerSettings> settings;
    private final PendingCommands<KmsChannel, CommandResult> commands;
    private final ScheduledExecutorService scheduler;
    private final Clock clock;
    private final ConcurrentHashMap<String, KmNode> nodes = new ConcurrentHashMap<>();
    private final ConcurrentHashMap<String, KeyRouteEntry> routes = new ConcurrentHashMap<>();
    private final Object routeLock = new Object();
    /** Messages carrying commands sent to key managers (a batch counts one); any thread. */
    private final LongAdder commandMessages = new LongAdder();
    /** Key managers connected to other instances (a cluster host sets it once, before the streams start). */
    private volatile RemoteKeyManagers remote = RemoteKeyManagers.NONE;

    /**
     * Loads the store; routes found INSTALLING become REMOVING.
     *
     * @param scheduler runs command timeouts (owned by the host)
     * @param settings gives the default command timeout and the report interval asked of key managers
     */
    public KeyManagementManager(KeyManagementStore store, ScheduledExecutorService scheduler,
                                Supplier<ControllerSettings> settings, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.settings = Objects.requireNonNull(settings, "settings");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.commands = new PendingCommands<>("key manager", scheduler);
        for (KmNode n : store.loadNodes().values()) {
            nodes.put(n.getHello().getQkdnId(), n.toBuilder().setConnected(false).build());
        }
        for (KeyRouteEntry e : store.loadRoutes().values()) {
            if (e.getState() == KeyRouteState.KEY_ROUTE_STATE_INSTALLING) {
                e = e.toBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_REMOVING).build();
                store.putRoute(e);
                log.info("key route of service {} was being installed at the last stop: removing it",
                        e.getRoute().getServiceId());
            }
            routes.put(e.getRoute().getServiceId(), e);
        }
        log.info("key management restored: {} key managers, {} key routes", nodes.size(), routes.size());
    }

    // --- queries ---------------------------------------------------------------------------------

    @Override
    public List<KmNode> getKmNodes() {
        List<KmNode> list = new ArrayList<>(nodes.values());
        list.sort(Comparator.comparing(n -> n.getHello().getQkdnId()));
        return list;
    }

    @Override
    public Optional<KmNode> getKmNode(String qkdnId) {
        return Optional.ofNullable(nodes.get(qkdnId));
    }

    @Override
    public List<KmLinkState> getKmLinks() {
        Map<String, KmLinkState.Builder> links = new TreeMap<>();
        for (KmNode n : nodes.values()) {
            String self = n.getHello().getQkdnId();
            for (KmLink l : n.getInventory().getKmLinksList()) {
                KmLinkState.Builder b = links.computeIfAbsent(l.getQkdlId(), id -> KmLinkState.newBuilder()
                        .setQkdlId(id));
                String a = self.compareTo(l.getNeighbourQkdnId()) < 0 ? self : l.getNeighbourQkdnId();
                String z = a.equals(self) ? l.getNeighbourQkdnId() : self;
                b.setQkdnIdA(a).setQkdnIdB(z);
                for (PoolLevel p : n.getPoolReport().getPoolsList()) {
                    if (p.getQkdlId().equals(l.getQkdlId())) {
                        if (a.equals(self)) {
                            b.addLevelsA(p);
                        } else {
                            b.addLevelsB(p);
                        }
                    }
                }
            }
        }
        List<KmLinkState> list = new ArrayList<>(links.size());
        links.values().forEach(b -> list.add(b.build()));
        return list;
    }

    /** Inside a cluster, the shared store's routes: other instances install and remove routes too. */
    @Override
    public List<KeyRouteEntry> getKeyRoutes() {
        List<KeyRouteEntry> list = new ArrayList<>(inCluster() ? store.loadRoutes().values() : routes.values());
        list.sort(Comparator.comparing(e -> e.getRoute().getServiceId()));
        return list;
    }

    @Override
    public Optional<KeyRouteEntry> getKeyRoute(String serviceId) {
        if (serviceId == null) {
            return Optional.empty();
        }
        String id = serviceId.toLowerCase(Locale.ROOT);
        return inCluster() ? store.loadRoute(id) : Optional.ofNullable(routes.get(id));
    }

    private boolean inCluster() {
        return remote != RemoteKeyManagers.NONE;
    }

    /**
     * Inside a cluster: routes through key managers connected to other instances are installed
     * and removed through {@code remote}, and it is told where streams start and end here.
     */
    public void useRemote(RemoteKeyManagers remote) {
        this.remote = Objects.requireNonNull(remote, "remote");
    }

    /**
     * Sends a command another instance forwarded to a key manager connected here (see
     * {@link RemoteKeyManagers#submit}); fails UNAVAILABLE, naming the node, when it is not.
     */
    public CompletableFuture<CommandResult> submitLocal(String qkdnId, KmsCommand command, Duration timeout) {
        return submit(qkdnId, command, timeout);
    }

    /**
     * The key manager of {@code qkdnId} connected to another instance: this instance sends again
     * the removals it has pending through that node (routes it left REMOVING), so their records
     * are cleared once every node acknowledged, as a reconnect here would. Installs need nothing:
     * the instance the key manager reached re-sends them from the store.
     */
    public void connectedElsewhere(String qkdnId) {
        Duration t = settings.get().commandTimeout();
        for (KeyRouteEntry e : routes.values()) {
            if (e.getState() == KeyRouteState.KEY_ROUTE_STATE_REMOVING
                    && e.getRoute().getRouteQkdnIdsList().contains(qkdnId)) {
                removeEverywhere(e.getRoute().getServiceId(), t);
            }
        }
    }

    /**
     * Messages that carried commands to key managers since start, a batch of commands counting
     * one: set against the routes installed it says how many installs a key manager got at once.
     */
    public long commandMessagesSent() {
        return commandMessages.sum();
    }

    /** A session sent a message carrying commands. */
    void commandMessageSent() {
        commandMessages.increment();
    }

    /** Whether the key manager of that node has a live stream here now. */
    public boolean isConnected(String qkdnId) {
        return commands.isConnected(qkdnId);
    }

    // --- routes ----------------------------------------------------------------------------------

    @Override
    public CompletableFuture<KeyRouteEntry> installRoute(KeyRoute route, Duration timeout) {
        try {
            if (route == null) {
                throw KmValidator.invalid("route: required");
            }
            KmValidator.route(route, "route");
            Duration t = timeout(timeout);
            KeyRoute r = route.toBuilder().setServiceId(route.getServiceId().toLowerCase(Locale.ROOT)).build();
            String id = r.getServiceId();
            KeyRouteEntry entry = KeyRouteEntry.newBuilder().setRoute(r)
                    .setState(KeyRouteState.KEY_ROUTE_STATE_INSTALLING).build();
            synchronized (routeLock) {
                KeyRouteEntry old = routes.get(id);
                if (old != null) {
                    if (old.getState() == KeyRouteState.KEY_ROUTE_STATE_REMOVING) {
                        throw Status.FAILED_PRECONDITION.withDescription("route.service_id: the key route of service "
                                + id + " is being removed").asRuntimeException();
                    }
                    if (old.getState() == KeyRouteState.KEY_ROUTE_STATE_INSTALLED && old.getRoute().equals(r)) {
                        return CompletableFuture.completedFuture(old);
                    }
                    throw Status.ALREADY_EXISTS.withDescription("route.service_id: service " + id
                            + " already has a key route; remove it first").asRuntimeException();
                }
                for (int i = 0; i < r.getRouteQkdnIdsCount(); i++) {
                    if (!commands.isConnected(r.getRouteQkdnIds(i)) && !remote.isConnected(r.getRouteQkdnIds(i))) {
                        throw Status.UNAVAILABLE.withDescription("route.route_qkdn_ids[" + i + "]: the key manager of node "
                                + r.getRouteQkdnIds(i) + " is not connected").asRuntimeException();
                    }
                }
                store.putRouteDeferred(entry);
                routes.put(id, entry);
            }
            if (log.isDebugEnabled()) { // spares the varargs array and boxing: this runs for every route installed
                log.debug("installing key route of service {}: {} -> {} over {} nodes", id, r.getMasterSaeId(),
                        r.getSlaveSaeId(), r.getRouteQkdnIdsCount());
            }
            return store.flush().handle((v, x) -> x).thenCompose(x -> sendInstall(entry, x, t));
        } catch (StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /**
     * Sends the install once its INSTALLING record is durable (so a restart knows to remove it).
     * The check and the send happen under {@code routeLock}: a removal marks REMOVING under the
     * same lock before it sends, so a key manager never gets an install after its removal.
     */
    private CompletableFuture<KeyRouteEntry> sendInstall(KeyRouteEntry entry, Throwable storeFailure, Duration t) {
        KeyRoute r = entry.getRoute();
        List<CompletableFuture<CommandResult>> acks;
        synchronized (routeLock) {
            if (storeFailure != null) {
                routes.remove(r.getServiceId(), entry);
                log.error("key route of service {} not stored", r.getServiceId(), storeFailure);
                return CompletableFuture.failedFuture(Status.INTERNAL
                        .withDescription("key route store failed; route not installed").asRuntimeException());
            }
            if (!entry.equals(routes.get(r.getServiceId()))) {
                return CompletableFuture.failedFuture(Status.ABORTED.withDescription("route.service_id: the key route of "
                        + "service " + r.getServiceId() + " was removed while being installed").asRuntimeException());
            }
            KmsCommand install = KmsCommand.newBuilder().setInstallRoute(InstallRoute.newBuilder().setRoute(r)).build();
            acks = sendToAll(r, install, t);
        }
        return whenAll(acks).thenCompose(v -> finishInstall(entry, acks, t));
    }

    private CompletableFuture<KeyRouteEntry> finishInstall(KeyRouteEntry entry, List<CompletableFuture<CommandResult>> acks,
                                                           Duration t) {
        KeyRoute r = entry.getRoute();
        Status failure = firstFailure(r, acks, "install");
        KeyRouteEntry installed = entry.toBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_INSTALLED).build();
        synchronized (routeLock) {
            if (failure == null) {
                if (entry.equals(routes.get(r.getServiceId()))) {
                    store.putRouteDeferred(installed);
                    routes.put(r.getServiceId(), installed);
                    log.debug("key route of service {} installed on all {} nodes", r.getServiceId(),
                            r.getRouteQkdnIdsCount());
                    // Acknowledged only once INSTALLED is durable: a restart must not remove it.
                    return store.flush().thenApply(v -> installed);
                }
                failure = Status.ABORTED.withDescription("route.service_id: the key route of service "
                        + r.getServiceId() + " was removed while being installed");
            } else if (entry.equals(routes.get(r.getServiceId()))) {
                KeyRouteEntry removing = entry.toBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_REMOVING).build();
                // Deferred: lost in a crash, the entry restarts INSTALLING, which also becomes REMOVING.
                store.putRouteDeferred(removing);
                routes.put(r.getServiceId(), removing);
            }
        }
        log.warn("key route of service {} not installed: {} {}; removing it from its nodes", r.getServiceId(),
                failure.getCode(), failure.getDescription());
        removeEverywhere(r.getServiceId(), t);
        return CompletableFuture.failedFuture(failure.asRuntimeException());
    }

    @Override
    public CompletableFuture<Void> removeRoute(String serviceId, Duration timeout) {
        try {
            if (serviceId == null || !QkdIds.isUuid(serviceId)) {
                throw KmValidator.invalid("service_id: not a UUID: '" + serviceId + "'");
            }
            Duration t = timeout(timeout);
            String id = serviceId.toLowerCase(Locale.ROOT);
            synchronized (routeLock) {
                KeyRouteEntry e = routes.get(id);
                if (e == null) {
                    throw Status.NOT_FOUND.withDescription("service_id: no key route for service " + id)
                            .asRuntimeException();
                }
                if (e.getState() != KeyRouteState.KEY_ROUTE_STATE_REMOVING) {
                    KeyRouteEntry removing = e.toBuilder().setState(KeyRouteState.KEY_ROUTE_STATE_REMOVING).build();
                    store.putRouteDeferred(removing);
                    routes.put(id, removing);
                }
            }
            log.debug("removing key route of service {}", id);
            // REMOVING must be durable before the first key manager forgets the route: else a
            // restart would find it INSTALLED and install it again on reconnect.
            return store.flush().thenCompose(v -> removeEverywhere(id, t));
        } catch (StatusRuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** Sends RemoveRoute to every node of a REMOVING route; forgets the route once all acknowledged. */
    private CompletableFuture<Void> removeEverywhere(String serviceId, Duration t) {
        KeyRouteEntry e = routes.get(serviceId);
        if (e == null || e.getState() != KeyRouteState.KEY_ROUTE_STATE_REMOVING) {
            return CompletableFuture.completedFuture(null);
        }
        KmsCommand remove = KmsCommand.newBuilder().setRemoveRoute(RemoveRoute.newBuilder().setServiceId(serviceId))
                .build();
        List<CompletableFuture<CommandResult>> acks = sendToAll(e.getRoute(), remove, t);
        return whenAll(acks).thenCompose(v -> {
            Status failure = firstFailure(e.getRoute(), acks, "remove");
            if (failure != null) {
                log.info("key route of service {} stays REMOVING: {}", serviceId, failure.getDescription());
                return CompletableFuture.failedFuture(Status.fromCode(failure.getCode())
                        .withDescription(failure.getDescription() + "; the removal is re-sent when it reconnects")
                        .asRuntimeException());
            }
            synchronized (routeLock) {
                if (e.equals(routes.get(serviceId))) {
                    // Deferred: lost in a crash, the removal is sent again and answered "was not installed".
                    store.removeRouteDeferred(serviceId);
                    routes.remove(serviceId);
                    log.debug("key route of service {} removed from all its nodes", serviceId);
                }
            }
            return CompletableFuture.completedFuture(null);
        });
    }

    private List<CompletableFuture<CommandResult>> sendToAll(KeyRoute r, KmsCommand command, Duration t) {
        List<CompletableFuture<CommandResult>> acks = new ArrayList<>(r.getRouteQkdnIdsCount());
        for (String node : r.getRouteQkdnIdsList()) {
            acks.add(commands.isConnected(node) ? submit(node, command, t) : remote.submit(node, command, t));
        }
        return acks;
    }

    /** Sends {@code command} with a fresh request_id and its deadline; never throws. */
    private CompletableFuture<CommandResult> submit(String qkdnId, KmsCommand command, Duration timeout) {
        String requestId = UUID.randomUUID().toString();
        Instant deadline = clock.instant().plus(timeout);
        KmsCommand toSend = command.toBuilder().setRequestId(requestId)
                .setDeadline(Timestamp.newBuilder().setSeconds(deadline.getEpochSecond()).setNanos(deadline.getNano()))
                .build();
        return commands.send(qkdnId, requestId, timeout, channel -> channel.sendCommand(toSend));
    }

    private static CompletableFuture<Void> whenAll(List<CompletableFuture<CommandResult>> acks) {
        return CompletableFuture.allOf(acks.toArray(new CompletableFuture<?>[0])).handle((v, e) -> null);
    }

    /** The first node in route order that failed, as a status naming it; null when all answered OK. */
    private static Status firstFailure(KeyRoute r, List<CompletableFuture<CommandResult>> acks, String what) {
        for (int i = 0; i < acks.size(); i++) {
            String node = r.getRouteQkdnIds(i);
            CommandResult result;
            try {
                result = acks.get(i).join();
            } catch (CompletionException e) {
                Status s = Status.fromThrowable(e.getCause());
                return s.withDescription("route_qkdn_ids[" + i + "] (node " + node + "): " + s.getDescription());
            }
            if (result.getResult().getCode() != Status.Code.OK.value()) {
                return Status.fromCodeValue(result.getResult().getCode()).withDescription("route_qkdn_ids[" + i
                        + "] (node " + node + "): the key manager refused to " + what + ": "
                        + result.getResult().getMessage());
            }
        }
        return null;
    }

    private Duration timeout(Duration timeout) {
        Duration t = timeout == null ? settings.get().commandTimeout() : timeout;
        if (t.isNegative() || t.isZero()) {
            throw KmValidator.invalid("timeout: must be positive");
        }
        return t;
    }

    // --- key manager streams (KmSession) ---------------------------------------------------------

    /**
     * Where sessions flush their command batches: the timeout scheduler, whose tasks are as short
     * (one protobuf write per batch); a flush must not run on the thread that queued the command,
     * or nothing would pile up behind it.
     */
    Executor sendExecutor() {
        return scheduler;
    }

    int reportIntervalMs() {
        return settings.get().reportIntervalMs();
    }

    void kmsConnected(KmsHello hello, KmsChannel channel) {
        String id = hello.getQkdnId();
        commands.connected(id, channel);
        remote.localSession(id, true);
        KmNode n = nodes.compute(id, (k, old) -> (old == null ? KmNode.newBuilder() : old.toBuilder())
                .setHello(hello).setConnected(true).build());
        store.putNode(n);
    }

    /**
     * Re-sends the routes through a node whose key manager just connected (after its HelloAck),
     * as {@link #getKeyRoutes} lists them: inside a cluster from the cluster's map, written by the
     * instance that installs routes (the key-service leader), since this instance's {@code routes}
     * holds what it loaded at start and changed itself, and re-sending from it would miss newer
     * routes and re-install removed ones. A removal another instance left pending is sent to this
     * node too; that instance clears its record when it retries.
     */
    void resync(String qkdnId) {
        Duration t = settings.get().commandTimeout();
        for (KeyRouteEntry e : getKeyRoutes()) {
            if (!e.getRoute().getRouteQkdnIdsList().contains(qkdnId)) {
                continue;
            }
            String id = e.getRoute().getServiceId();
            boolean removing = e.getState() == KeyRouteState.KEY_ROUTE_STATE_REMOVING;
            if (removing && routes.containsKey(id)) {
                removeEverywhere(id, t);
                continue;
            }
            KmsCommand command = removing
                    ? KmsCommand.newBuilder().setRemoveRoute(RemoveRoute.newBuilder().setServiceId(id)).build()
                    : KmsCommand.newBuilder().setInstallRoute(InstallRoute.newBuilder().setRoute(e.getRoute())).build();
            String what = removing ? "removal" : "install";
            submit(qkdnId, command, t).whenComplete((r, x) -> {
                if (x != null || r.getResult().getCode() != 0) {
                    log.warn("re-sending the {} of key route of service {} to node {} failed: {}", what, id, qkdnId,
                            x != null ? Status.fromThrowable(x) : r.getResult().getMessage());
                } else {
                    log.info("{} of key route of service {} re-sent to node {}", what, id, qkdnId);
                }
            });
        }
    }

    void inventory(String qkdnId, KmsInventory inventory) {
        KmNode n = nodes.computeIfPresent(qkdnId, (k, old) -> old.toBuilder().setInventory(inventory).build());
        if (n != null) {
            store.putNode(n);
        }
    }

    void poolReport(String qkdnId, PoolReport report) {
        nodes.computeIfPresent(qkdnId, (k, old) -> old.toBuilder().setPoolReport(report).build());
    }

    void relayCounters(String qkdnId, RelayCounters counters) {
        nodes.computeIfPresent(qkdnId, (k, old) -> old.toBuilder().setRelayCounters(counters).build());
    }

    boolean onResult(String qkdnId, CommandResult result) {
        return commands.onResult(qkdnId, result.getRequestId(), result);
    }

    /** The stream behind {@code channel} ended; {@code wasLive}: no newer stream took over. */
    void kmsDisconnected(String qkdnId, KmsChannel channel, boolean wasLive) {
        commands.disconnected(qkdnId, channel);
        if (wasLive) {
            remote.localSession(qkdnId, false);
            nodes.computeIfPresent(qkdnId, (k, old) -> old.toBuilder().setConnected(false).build());
        }
    }
}

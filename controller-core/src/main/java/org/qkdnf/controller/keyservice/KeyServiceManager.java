package org.qkdnf.controller.keyservice;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.qkdnf.common.concurrent.OrderlyShutdown;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.admission.AdmissionDecision;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.northbound.v1.TopologyLink;
import org.qkdnf.proto.northbound.v1.TopologyNode;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key services: route computation on the key-rate-aware graph ({@link RoutePlanner}), admission of
 * the minimum bandwidth on every link, installation into the key managers over Sk
 * ({@link RouteInstaller}), and recovery when links fail or lose key rate.
 *
 * <p><b>Setup.</b> PROTECTION_NONE and PROTECTION_RESTORATION get the cheapest path;
 * ONE_PLUS_ONE a node-disjoint pair, both reserved and both installed in the key managers (so a
 * cut switches to the other without an install on the critical path). {@code min_bandwidth_bps}
 * is reserved on every link of every route, all or nothing. A request that no route can carry is
 * answered RESOURCE_EXHAUSTED and leaves nothing behind; an install the key managers refuse is
 * answered with their status, after the reservation was released. So a service exists only once
 * it was ACTIVE.
 *
 * <p><b>Pipeline.</b> A setup is planned, reserved and written ahead (a PENDING record naming its
 * routes) on the owner thread, which then moves on to the next request; once the write-ahead is
 * durable the installs are sent, straight from the store's commit thread (so they stream out while
 * the owner thread is still planning the next ones), and each acknowledgement completes its service
 * back on the owner thread (commit ACTIVE, or release and answer the error); the answer leaves once
 * ACTIVE is durable. Stores are written deferred and made
 * durable in batches ({@code flush()}), so a thousand setups in flight share a few device syncs;
 * nothing leaves the controller (an install, an answer) before what it depends on is durable.
 * Recovery works the same way: every service a link event displaces is re-planned and its installs
 * sent in one pass, the first ones leaving while the pass goes on, acknowledgements handled as they come. {@link PerServiceSerializer} keeps one
 * operation in flight per service, so a later delete, modify or recovery of a service waits for the
 * install before it: a route is never removed while its own install is on the wire.
 *
 * <p><b>Routes in the key managers.</b> Each installed route has its own UUID (route_id), so a new
 * route is installed and acknowledged before the old one is removed (make-before-break); the key
 * managers accept several routes for one SAE pair.
 *
 * <p><b>Recovery.</b> Every link event feeds the link's capacity to the admission controller
 * ({@code skr_bps} when ACTIVE and not degraded, 0 otherwise; an ACTIVE link without measurement
 * yet is left as it was, so a restarted controller keeps its restored reservations until it hears
 * from the agents). Services displaced by that (AdmissionController's rule: lowest priority, then
 * the most recently admitted, go first) move: ONE_PLUS_ONE keeps or switches to the one of its two
 * routes that still works, at once (it is installed already), then looks for a new disjoint backup
 * (ACTIVE with a reason while there is none); RESTORATION gets a new cheapest route; when nothing
 * carries the service, or for PROTECTION_NONE, it becomes DEGRADED, holding no reservation and no
 * route. When a link's admissible rate grows, or a delete frees capacity, and every
 * {@value #DEGRADED_RETRY_INTERVAL_S} s, DEGRADED services are retried, highest priority first. A
 * lowered admissible fraction ({@link #setAdmissibleFraction}) displaces and recovers the same way.
 * A service DEGRADED for longer than the settings' {@code degradedRetryWindow} becomes FAILED (see {@link #scheduleFailure}).
 *
 * <p><b>Pre-emption.</b> A setup that no route can carry may displace lower-priority services
 * (rule at {@link #admit}; off with the settings' {@code keyServicePreemption}).
 *
 * <p><b>Crash consistency.</b> Every install is written ahead in the service's record (route id,
 * not installed) before it is sent. On {@link #start()}: a PENDING service (setup never answered)
 * is undone; write-ahead routes of other services are removed from the key managers; a
 * reservation that does not match what the record's routes need (a crash between the reservation
 * change and the record) is released and the service re-planned as soon as one of its links'
 * capacity is known again (until then it keeps its routes); a reservation without a record is
 * released.
 *
 * <p><b>Expiry.</b> {@code ttl_s} becomes {@code expires_at} at creation; the service is deleted then.
 *
 * <p><b>Threads.</b> All service state is owned by one thread (the {@code qkd-key-services}
 * executor): every mutation step, topology event, acknowledgement handling and listener call runs
 * there, in order. Listeners hear of a change once it is durable ({@link DurableEvents}), never
 * of a state a crash could take back. Public methods may be called from any thread; mutations answer through a
 * future. Reads ({@link #get}, {@link #list}) see the last committed change.
 */
public final class KeyServiceManager implements KeyServiceBackend, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyServiceManager.class);

    /** Key the source keeps relayed ahead of demand: at least 64 kbit, else two seconds of rate. */
    static final long MIN_BUFFER_BITS = RouteInstaller.MIN_BUFFER_BITS;
    /**
     * DEGRADED services are also retried this often: a setup refused for a reason other than
     * capacity (a key manager that timed out or was not connected) gets no capacity event to
     * retry it, and would otherwise wait for the FAILED window.
     */
    static final long DEGRADED_RETRY_INTERVAL_S = 30;

    private final QkdTopologyService topology;
    private final AdmissionController admission;
    private final KeyServiceStore store;
    private final Clock clock;
    private final RoutePlanner planner;
    private final RouteInstaller installer;
    private final ScheduledThreadPoolExecutor executor;
    /** Written on the executor only; concurrent for readers. */
    private final Map<String, KeyService> services = new ConcurrentHashMap<>();
    /** Executor only. */
    private final Map<String, ScheduledFuture<?>> expiries = new HashMap<>();
    /** Executor only. */
    private final PerServiceSerializer serial = new PerServiceSerializer();
    /** Executor only: services with a retry queued behind their operation in flight (one each at most). */
    private final java.util.Set<String> retriesQueued = new java.util.HashSet<>();
    /** Executor only: services to re-plan after a restart, by the links whose capacity they wait for. */
    private final Map<String, java.util.Set<String>> awaitingCapacity = new HashMap<>();
    private final List<KeyServiceListener> listeners = new CopyOnWriteArrayList<>();
    /** Executor only: tells {@link #listeners} of each change once it is durable. */
    private final DurableEvents events;
    /** Executor only (removal from any thread). */
    private final TopologyWatchers topologyWatchers = new TopologyWatchers();
    /** Latest state of links whose event the executor has not handled yet (see onTopologyEventAsync). */
    private final Map<String, PendingLink> pendingLinks = new ConcurrentHashMap<>();
    private final QkdTopologyListener topologyListener = this::onTopologyEventAsync;
    /** Executor only: bumped by {@link #degradedRetryWindowChanged}; FAILED checks of an older one do nothing. */
    private long failureSchedule;
    private volatile boolean started;

    /** Restores the services of {@code store}; {@link #start()} begins to follow the topology. */
    public KeyServiceManager(QkdTopologyService topology, AdmissionController admission,
                             KeyManagementAdminService keyManagement, KeyServiceStore store, Clock clock) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.admission = Objects.requireNonNull(admission, "admission");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.planner = new RoutePlanner(topology, admission, new PoolLevels(keyManagement, clock::millis));
        this.installer = new RouteInstaller(Objects.requireNonNull(keyManagement, "keyManagement"));
        this.executor = new ScheduledThreadPoolExecutor(1, r -> {
            Thread t = new Thread(r, "qkd-key-services");
            t.setDaemon(true);
            return t;
        });
        this.events = new DurableEvents(executor, this::stored, listeners);
        for (KeyService s : store.loadAll()) {
            services.put(s.getServiceId(), s);
            if (s.getState() != KeyServiceState.KEY_SERVICE_STATE_PENDING) {
                events.restored(s); // a PENDING record is a setup's write-ahead, never told to anyone
            }
        }
    }

    /** Follows topology events: feeds link capacities, recovers services, schedules expiries. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        topology.addListener(topologyListener);
        planner.topologyChanged(); // whatever changed before the listener was there
        executor.execute(this::restore);
        executor.scheduleWithFixedDelay(this::retryDegraded, DEGRADED_RETRY_INTERVAL_S, DEGRADED_RETRY_INTERVAL_S,
                TimeUnit.SECONDS);
    }

    /** Executor only: brings records and reservations back into agreement after a restart (class comment). */
    private void restore() {
        for (KeyService s : new ArrayList<>(services.values())) {
            if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_PENDING) {
                abandon(s);
                continue;
            }
            s = dropInterruptedInstalls(s);
            Optional<Reservation> held = admission.reservation(s.getServiceId());
            if (s.getState() != KeyServiceState.KEY_SERVICE_STATE_ACTIVE) {
                admission.release(s.getServiceId()); // a retry interrupted after reserving
                if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED) {
                    scheduleFailure(s);
                }
            } else if (held.isEmpty() || !held.get().rateBpsByLane().equals(RoutePlanner.rates(s.getSpec(), s.getRoutesList()))) {
                admission.release(s.getServiceId());
                // Re-planned once its links' capacity is known again (the agents report after a
                // restart): planning now would find no capacity and degrade a working service.
                for (ServiceRoute r : s.getRoutesList()) {
                    for (String l : r.getQkdlIdsList()) {
                        awaitingCapacity.computeIfAbsent(l, k -> new java.util.TreeSet<>()).add(s.getServiceId());
                    }
                }
            }
            scheduleExpiry(s);
        }
        for (Reservation r : admission.reservations()) {
            if (!services.containsKey(r.serviceId())) {
                admission.release(r.serviceId()); // reserved, then the controller died before the record
            }
        }
        for (QkdLinkInfo l : topology.getLinks()) {
            feedCapacity(l, false);
        }
        retryDegraded();
    }

    @Override
    public void close() {
        topology.removeListener(topologyListener);
        // Not interrupted first: a store read or write interrupted inside a FileChannel call closes
        // the standalone store's file for good; the running task finishes, the backlog is dropped.
        OrderlyShutdown.stopDroppingQueued(executor, Duration.ofSeconds(2));
    }

    // ---------------------------------------------------------------- queries

    public Optional<KeyService> get(String serviceId) {
        return Optional.ofNullable(services.get(serviceId));
    }

    /** Every service, by service id. */
    public List<KeyService> list() {
        List<KeyService> out = new ArrayList<>(services.values());
        out.sort(Comparator.comparing(KeyService::getServiceId));
        return out;
    }

    /** Nodes and links as the path computation sees them, with admissible and reserved rate. */
    public GetTopologyResponse topologySnapshot() {
        GetTopologyResponse.Builder b = GetTopologyResponse.newBuilder();
        List<QkdNodeInfo> nodes = new ArrayList<>(topology.getNodes());
        nodes.sort(Comparator.comparing(QkdNodeInfo::qkdnId));
        for (QkdNodeInfo n : nodes) {
            b.addNodes(TopologyNode.newBuilder().setQkdnId(n.qkdnId()).setAgentConnected(n.agentConnected()));
        }
        List<QkdLinkInfo> links = new ArrayList<>(topology.getLinks());
        links.sort(Comparator.comparing(QkdLinkInfo::qkdlId));
        for (QkdLinkInfo l : links) {
            b.addLinks(topologyLink(l));
        }
        return b.build();
    }

    /** {@link #topologySnapshot()}, as {@link KeyServiceBackend} asks for it. */
    @Override
    public CompletableFuture<GetTopologyResponse> topology() {
        return CompletableFuture.completedFuture(topologySnapshot());
    }

    private TopologyLink topologyLink(QkdLinkInfo l) {
        TopologyLink.Builder t = TopologyLink.newBuilder().setQkdlId(l.qkdlId()).setStatus(l.status())
                .setDegraded(l.degraded()).setSkrBps(l.skrBps());
        if (l.nodeIdA() != null) {
            String aToB = LaneIds.of(l.qkdlId(), l.nodeIdA());
            t.setQkdnIdA(l.nodeIdA()).setAdmissibleBps(admission.admissibleBps(aToB))
                    .setReservedBpsAToB(admission.reservedBps(aToB));
        }
        if (l.nodeIdB() != null) {
            t.setQkdnIdB(l.nodeIdB()).setReservedBpsBToA(admission.reservedBps(LaneIds.of(l.qkdlId(), l.nodeIdB())));
        }
        return t.build();
    }

    /**
     * Nc topology watch: {@code watcher} gets {@link #topologySnapshot()} first, then the changes
     * ({@link TopologyWatchers} says which), on the manager's thread, in order; it must return at
     * once. Completes once registered.
     */
    public CompletableFuture<Void> watchTopology(Consumer<WatchTopologyResponse> watcher) {
        Objects.requireNonNull(watcher, "watcher");
        return submit(() -> {
            topologyWatchers.add(watcher, topologySnapshot());
            return CompletableFuture.completedFuture(null);
        });
    }

    /** Stops a {@link #watchTopology} watcher; any thread. */
    public void unwatchTopology(Consumer<WatchTopologyResponse> watcher) {
        topologyWatchers.remove(watcher);
    }

    public void addListener(KeyServiceListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(KeyServiceListener listener) {
        listeners.remove(listener);
    }

    /**
     * Tells {@code listener} every service as last published (removed = false), then registers it,
     * on the manager's thread, so it misses no change and sees none twice. Like every listener it
     * hears of a change only once the change is durable.
     */
    public CompletableFuture<Void> subscribe(KeyServiceListener listener) {
        Objects.requireNonNull(listener, "listener");
        return submit(() -> {
            events.subscribe(listener);
            return CompletableFuture.completedFuture(null);
        });
    }

    /** The route(s) {@code spec} would get now; nothing is reserved. */
    public CompletableFuture<List<ServiceRoute>> queryPaths(KeyServiceSpec spec) {
        return submit(() -> {
            KeyServiceValidator.spec(spec, topology, clock.instant());
            return CompletableFuture.completedFuture(planner.plan(spec, ""));
        });
    }

    // ---------------------------------------------------------------- mutations

    /** Validates, routes, reserves and installs; completes with the ACTIVE service. */
    public CompletableFuture<KeyService> create(KeyServiceSpec requested) {
        return submit(() -> {
            Instant now = clock.instant();
            KeyServiceValidator.spec(requested, topology, now);
            KeyServiceSpec spec = withExpiry(requested, now);
            String id = Uuids.timeOrdered().toString();
            // The answer waits for ACTIVE to be durable, the service's next operation does not:
            // whatever it changes is made durable by a later flush, which covers this one too.
            return serial.run(id, () -> setup(id, spec, now)).thenCompose(s -> stored().thenApply(v -> s));
        });
    }

    /** Executor only: the create pipeline (class comment); completes on the owner thread once ACTIVE is committed. */
    private CompletableFuture<KeyService> setup(String id, KeyServiceSpec spec, Instant now) {
        List<ServiceRoute> routes = new ArrayList<>();
        for (ServiceRoute r : admit(id, spec)) {
            routes.add(RouteInstaller.withRouteId(r));
        }
        // Write-ahead: a crash from here on leaves a PENDING record naming the routes, which
        // start() removes from the key managers, and releases, after a restart.
        store.saveDeferred(KeyService.newBuilder().setServiceId(id).setSpec(spec)
                .setState(KeyServiceState.KEY_SERVICE_STATE_PENDING).setReason("being set up")
                .addAllRoutes(routes).setUpdatedAt(ts(now)).build());
        return onOwner(installWhenStored(spec, routes)).handle((installed, e) -> {
            if (e != null) {
                admission.release(id);
                store.removeDeferred(id);
                throw RouteInstaller.asStatus(e);
            }
            KeyService s = KeyService.newBuilder().setServiceId(id).setSpec(spec)
                    .setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                    .setReason(routes.size() < expectedRoutes(spec) ? "unprotected: no disjoint backup route"
                            : routes.get(0).getRateBps() != 0 ? "split over " + routes.size()
                            + " routes: no single route carries min_bandwidth_bps" : "")
                    .addAllRoutes(installed).setUpdatedAt(ts(now)).build();
            commit(s);
            scheduleExpiry(s);
            if (log.isDebugEnabled()) { // describe() joins strings: not for every setup unless asked
                log.debug("key service {} ACTIVE on {}", id, describe(installed));
            }
            return s;
        });
    }

    /**
     * Plans and reserves a new service's routes. <b>Pre-emption rule</b> (when
     * {@link org.qkdnf.controller.api.ControllerSettings#keyServicePreemption()} is on): only when
     * no route fits the free capacity, the service is planned again counting the rate of
     * strictly lower-priority services as free, and reserved displacing them by the admission
     * controller's rule (lowest priority first, then the most recently admitted, only as many as
     * needed, and only if that makes it fit). Each displaced service is then recovered like one a
     * link failure displaced (rerouted, or DEGRADED with the reason), after this setup.
     */
    private List<ServiceRoute> admit(String id, KeyServiceSpec spec) {
        StatusRuntimeException refused;
        try {
            List<ServiceRoute> routes = planner.plan(spec, id);
            planner.reserveOrThrow(id, spec, routes);
            return routes;
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.RESOURCE_EXHAUSTED || !topology.settings().keyServicePreemption()) {
                throw e;
            }
            refused = e;
        }
        List<ServiceRoute> routes;
        try {
            routes = planner.planPreempting(spec, id);
        } catch (StatusRuntimeException e) {
            throw refused;
        }
        AdmissionDecision d = planner.reservePreempting(id, spec, routes);
        if (!d.admitted()) {
            throw refused;
        }
        for (Reservation victim : d.preempted()) {
            recover(victim.serviceId(), "pre-empted by key service " + id + " of priority " + spec.getQos().getPriority());
        }
        return routes;
    }

    /**
     * New QoS and, when given, new constraints; re-routed make-before-break when the current
     * route(s) no longer fit. On refusal the service is unchanged.
     */
    public CompletableFuture<KeyService> modify(String serviceId, AppQos qos, PathConstraints constraints) {
        return submit(() -> {
            KeyServiceValidator.serviceId(serviceId);
            existing(serviceId);
            return serial.run(serviceId, () -> change(serviceId, qos, constraints));
        });
    }

    /** Executor only. */
    private CompletableFuture<KeyService> change(String serviceId, AppQos qos, PathConstraints constraints) {
        KeyService s = existing(serviceId);
        if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_FAILED) {
            throw Status.FAILED_PRECONDITION.withDescription("service_id: key service " + serviceId
                    + " FAILED (" + s.getReason() + "); delete it and create a new one").asRuntimeException();
        }
        Instant now = clock.instant();
        KeyServiceValidator.qos("qos", qos, now);
        KeyServiceSpec.Builder b = s.getSpec().toBuilder().setQos(qos);
        if (constraints != null) {
            b.setConstraints(constraints);
            KeyServiceValidator.constraints("constraints", constraints, b.build(), topology);
        }
        KeyServiceSpec spec = withExpiry(b.build(), now);
        Optional<Reservation> before = admission.reservation(serviceId);
        List<ServiceRoute> routes = planner.plan(spec, serviceId);
        planner.reserveOrThrow(serviceId, spec, routes);
        return installRoutes(s, spec, routes).handle((installed, e) -> {
            if (e != null) {
                restoreReservation(s, before);
                throw RouteInstaller.asStatus(e);
            }
            KeyService next = s.toBuilder().setSpec(spec).setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                    .setReason(routes.size() < expectedRoutes(spec) ? "unprotected: no disjoint backup route" : "")
                    .clearRoutes().addAllRoutes(installed).setUpdatedAt(ts(now)).build();
            commit(next);
            retire(s, installed);
            cancelExpiry(serviceId);
            scheduleExpiry(next);
            return next;
        }).thenCompose(next -> durable().thenApply(v -> next));
    }

    /** A refused modify: the old reservation back, or a recovery when it no longer fits. Executor only. */
    private void restoreReservation(KeyService s, Optional<Reservation> before) {
        String id = s.getServiceId();
        if (before.isPresent()) {
            if (!admission.reserve(id, before.get().priority(), before.get().rateBpsByLane(), false).admitted()) {
                admission.release(id);
                recover(id, "its links were taken while a modify was refused");
            }
        } else {
            admission.release(id);
        }
    }

    /** Removes the route(s) from the key managers and releases the reservation. */
    public CompletableFuture<Void> delete(String serviceId) {
        return submit(() -> {
            KeyServiceValidator.serviceId(serviceId);
            existing(serviceId);
            return serial.run(serviceId, () -> remove(existing(serviceId), "deleted")).thenApply(v -> {
                retryDegraded(); // the capacity it held may carry a degraded service
                return v;
            });
        });
    }

    /**
     * Applies a new admissible fraction to every measured link while the manager keeps serving
     * (no rebuild, so requests meanwhile are answered as usual). Reservations over the new limit
     * are displaced by the admission rule (lowest priority, then newest, first) and their services
     * recovered like after a capacity drop: rerouted, or DEGRADED with the reason. When nothing was
     * displaced (the fraction rose or stayed within what is reserved) DEGRADED services are retried
     * at once, since the freed capacity may carry them. Completes once the displacements are
     * durable; the recoveries then complete on their own, as after a link event.
     *
     * @throws IllegalArgumentException naming {@code admissible_fraction} when it is not in (0, 1]
     */
    public CompletableFuture<Void> setAdmissibleFraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("admissible_fraction: must be in (0, 1], got " + fraction);
        }
        return submit(() -> {
            List<Reservation> displaced = admission.setAdmissibleFraction(fraction);
            String cause = "admissible fraction lowered to " + fraction;
            for (Reservation r : displaced) {
                recover(r.serviceId(), cause);
            }
            if (displaced.isEmpty()) {
                retryDegraded();
            } else {
                log.info("admissible fraction {}: {} key services displaced", fraction, displaced.size());
            }
            return durable();
        });
    }

    /**
     * Applies the settings' {@code degradedRetryWindow} now in force to the services already
     * DEGRADED (otherwise a service keeps the deadline it was given when it became DEGRADED): each
     * becomes FAILED once the new window has passed since it became DEGRADED, at once if that is
     * already past, never with a zero window. Completes once re-scheduled.
     */
    public CompletableFuture<Void> degradedRetryWindowChanged() {
        return submit(() -> {
            failureSchedule++;
            for (KeyService s : services.values()) {
                if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED) {
                    scheduleFailure(s);
                }
            }
            log.info("degraded retry window {} applied to the DEGRADED key services",
                    topology.settings().degradedRetryWindow());
            return CompletableFuture.completedFuture(null);
        });
    }

    // ---------------------------------------------------------------- internals

    /** Executor only; completes once the key managers answered the removals. */
    private CompletableFuture<Void> remove(KeyService s, String why) {
        CompletableFuture<Void> removed = installer.uninstallAll(s.getRoutesList());
        admission.release(s.getServiceId());
        store.removeDeferred(s.getServiceId());
        services.remove(s.getServiceId());
        cancelExpiry(s.getServiceId());
        log.debug("key service {} {}", s.getServiceId(), why);
        events.changed(s.toBuilder().setReason(why).build(), true);
        return onOwner(CompletableFuture.allOf(removed, durable()));
    }

    /**
     * Installs the routes of {@code wanted} that {@code s} does not already have installed on the
     * same path (those are kept, with their route ids), after writing them ahead in its record.
     * Completes on the owner thread with {@code wanted} as installed, once all are acknowledged;
     * the caller commits the new record, then removes the routes of {@code s} not kept with
     * {@link #retire} (make-before-break). On failure nothing new stays installed and the record
     * is back to {@code s}.
     */
    private CompletableFuture<List<ServiceRoute>> installRoutes(KeyService s, KeyServiceSpec spec, List<ServiceRoute> wanted) {
        List<ServiceRoute> result = new ArrayList<>();
        List<ServiceRoute> toInstall = new ArrayList<>();
        List<ServiceRoute> kept = new ArrayList<>();
        for (ServiceRoute w : wanted) {
            ServiceRoute same = null;
            for (ServiceRoute r : s.getRoutesList()) {
                if (r.getInstalled() && samePath(r, w) && !kept.contains(r)) {
                    same = r;
                }
            }
            if (same != null) {
                kept.add(same);
                result.add(same);
            } else {
                ServiceRoute fresh = RouteInstaller.withRouteId(w.toBuilder().clearRouteId().setInstalled(false).build());
                toInstall.add(fresh);
                result.add(fresh);
            }
        }
        if (toInstall.isEmpty()) {
            return CompletableFuture.completedFuture(result);
        }
        // Write-ahead: after a crash start() removes these from the key managers.
        store.saveDeferred(s.toBuilder().addAllRoutes(toInstall).build());
        return onOwner(installWhenStored(spec, toInstall)).handle((installed, e) -> {
            if (e != null) {
                store.saveDeferred(services.getOrDefault(s.getServiceId(), s)); // drop the write-ahead entries
                throw RouteInstaller.asStatus(e);
            }
            List<ServiceRoute> out = new ArrayList<>(result.size());
            for (ServiceRoute r : result) {
                ServiceRoute done = r;
                for (ServiceRoute i : installed) {
                    if (i.getRouteId().equals(r.getRouteId())) {
                        done = i;
                    }
                }
                out.add(done);
            }
            return out;
        });
    }

    /**
     * Removes from the key managers the installed routes of {@code before} that {@code now} does
     * not keep (make-before-break), once the record naming {@code now}, committed just before, is
     * durable: removed earlier, a crash would leave a record naming routes the key managers no
     * longer have, and restart repair would drop the new routes as interrupted installs. When the
     * store is committed with the key routes, key management's sync before it sends the removal
     * covers the record. Executor only.
     */
    private void retire(KeyService before, List<ServiceRoute> now) {
        List<ServiceRoute> old = new ArrayList<>();
        for (ServiceRoute r : before.getRoutesList()) {
            boolean kept = false;
            for (ServiceRoute n : now) {
                kept |= n.getRouteId().equals(r.getRouteId());
            }
            if (r.getInstalled() && !kept) {
                old.add(r);
            }
        }
        removeOnceCommitted(old);
    }

    /**
     * Removes {@code routes} from the key managers once the record committed just before, which no
     * longer names them, is durable (see {@link #retire} for why not earlier). Executor only.
     */
    private void removeOnceCommitted(List<ServiceRoute> routes) {
        if (routes.isEmpty()) {
            return;
        }
        if (store.flushedWithKeyRoutes()) {
            installer.uninstallAll(routes);
        } else {
            stored().thenRun(() -> installer.uninstallAll(routes));
        }
    }

    /**
     * A setup interrupted by a crash (never acknowledged): its routes are removed from the key
     * managers (re-sent to those not connected yet), its reservation released, its record dropped.
     */
    private void abandon(KeyService s) {
        for (ServiceRoute r : s.getRoutesList()) {
            if (!r.getRouteId().isEmpty()) {
                installer.uninstall(r.toBuilder().setInstalled(true).build());
            }
        }
        admission.release(s.getServiceId());
        services.remove(s.getServiceId());
        store.removeDeferred(s.getServiceId());
        log.info("key service {}: setup interrupted by a restart, undone", s.getServiceId());
    }

    /** Routes whose install a crash interrupted (write-ahead entries): removed, and dropped from the record. */
    private KeyService dropInterruptedInstalls(KeyService s) {
        List<ServiceRoute> keep = new ArrayList<>();
        boolean dropped = false;
        for (ServiceRoute r : s.getRoutesList()) {
            if (!r.getInstalled() && !r.getRouteId().isEmpty()) {
                installer.uninstall(r.toBuilder().setInstalled(true).build());
                dropped = true;
            } else {
                keep.add(r);
            }
        }
        if (!dropped) {
            return s;
        }
        KeyService fixed = s.toBuilder().clearRoutes().addAllRoutes(keep).build();
        store.saveDeferred(fixed);
        services.put(fixed.getServiceId(), fixed);
        events.restored(fixed); // the same service, only without routes that were never installed
        log.info("key service {}: route install interrupted by a restart, undone", s.getServiceId());
        return fixed;
    }

    private KeyService existing(String serviceId) {
        KeyService s = services.get(serviceId);
        if (s == null) {
            throw KeyServiceValidator.notFound("service_id: no key service " + serviceId);
        }
        return s;
    }

    /** Executor only. Durable, and told to the listeners, once a later {@link #durable()} completes. */
    private void commit(KeyService s) {
        store.saveDeferred(s);
        services.put(s.getServiceId(), s);
        events.changed(s, false);
    }

    /**
     * Completes on the owner thread once every change staged so far (services, reservations) is
     * durable and the listeners were told of it.
     */
    private CompletableFuture<Void> durable() {
        return events.durable();
    }

    /**
     * Completes on a store's commit thread once every change staged so far (services,
     * reservations) is durable; for continuations that touch no owner state.
     */
    private CompletableFuture<Void> stored() {
        return CompletableFuture.allOf(store.flush(), admission.flush());
    }

    /**
     * Sends the installs of {@code routes} as soon as their write-ahead (staged before this call)
     * is durable. When the store is committed together with the key routes
     * ({@link KeyServiceStore#flushedWithKeyRoutes()}) they are handed on at once: key management
     * sends nothing before its own sync, which covers the write-ahead. Otherwise they go from the
     * commit thread once the write-ahead's sync is done: the owner thread may still be planning the
     * rest of a recovery pass or a burst of setups, and the installs should not queue behind it.
     * The installer and the key-management service are thread-safe. Completes on any thread.
     */
    private CompletableFuture<List<ServiceRoute>> installWhenStored(KeyServiceSpec spec, List<ServiceRoute> routes) {
        if (store.flushedWithKeyRoutes()) {
            return installer.installAll(spec, routes);
        }
        return stored().thenCompose(v -> installer.installAll(spec, routes));
    }

    private static int expectedRoutes(KeyServiceSpec spec) {
        return spec.getProtection() == Protection.PROTECTION_ONE_PLUS_ONE ? 2 : 1;
    }

    private KeyServiceSpec withExpiry(KeyServiceSpec spec, Instant now) {
        if (spec.getQos().getTtlS() == 0) {
            return spec;
        }
        Instant at = now.plusSeconds(Integer.toUnsignedLong(spec.getQos().getTtlS()));
        return spec.toBuilder().setQos(spec.getQos().toBuilder().clearTtlS().setExpiresAt(ts(at))).build();
    }

    private void scheduleExpiry(KeyService s) {
        if (!s.getSpec().getQos().hasExpiresAt()) {
            return;
        }
        Timestamp at = s.getSpec().getQos().getExpiresAt();
        long delayMs = Math.max(0, Instant.ofEpochSecond(at.getSeconds(), at.getNanos()).toEpochMilli() - clock.millis());
        String id = s.getServiceId();
        expiries.put(id, executor.schedule(() -> serial.run(id, () -> {
            KeyService current = services.get(id);
            return current == null ? CompletableFuture.completedFuture(null) : remove(current, "expired");
        }), delayMs, TimeUnit.MILLISECONDS));
    }

    private void cancelExpiry(String serviceId) {
        ScheduledFuture<?> f = expiries.remove(serviceId);
        if (f != null) {
            f.cancel(false);
        }
    }

    private static boolean samePath(ServiceRoute a, ServiceRoute b) {
        return a.getQkdnIdsList().equals(b.getQkdnIdsList()) && a.getQkdlIdsList().equals(b.getQkdlIdsList());
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Coalesces per link: only the latest state of a link waits for the executor, so a burst of
     * performance reports queues at most one task per link, not one per report.
     */
    private void onTopologyEventAsync(QkdTopologyEvent e) {
        planner.topologyChanged();
        if (e.node().isPresent()) {
            QkdNodeInfo n = e.node().get();
            TopologyNode node = TopologyNode.newBuilder().setQkdnId(n.qkdnId()).setAgentConnected(n.agentConnected()).build();
            boolean gone = e.type() == QkdTopologyEvent.Type.NODE_REMOVED;
            try {
                executor.execute(() -> topologyWatchers.node(node, gone));
            } catch (RejectedExecutionException ignored) {
                // closing
            }
        }
        if (e.link().isEmpty()) {
            return;
        }
        QkdLinkInfo l = e.link().get();
        boolean removed = e.type() == QkdTopologyEvent.Type.LINK_REMOVED;
        if (pendingLinks.put(l.qkdlId(), new PendingLink(l, removed)) != null) {
            return;
        }
        try {
            executor.execute(() -> {
                PendingLink p = pendingLinks.remove(l.qkdlId());
                if (p != null) {
                    feedCapacity(p.link, p.removed);
                }
            });
        } catch (RejectedExecutionException ignored) {
            // closing
        }
    }

    private static final class PendingLink {
        final QkdLinkInfo link;
        final boolean removed;

        PendingLink(QkdLinkInfo link, boolean removed) {
            this.link = link;
            this.removed = removed;
        }
    }

    /**
     * Executor only. Every displaced service is re-planned and its installs sent in this one pass.
     * Each lane (direction) of the link gets half its SKR: the key managers put alternate blocks of
     * the link's key into its two lanes, and a lane nobody draws is trimmed, not lent to the other.
     */
    private void feedCapacity(QkdLinkInfo l, boolean removed) {
        double capacity;
        if (removed || !RoutePlanner.usable(l)) {
            capacity = 0;
        } else if (!l.hasPerformance()) {
            topologyWatchers.link(topologyLink(l), false);
            return;
        } else {
            capacity = l.skrBps();
        }
        List<String> lanes = new ArrayList<>(2);
        for (String end : new String[] {l.nodeIdA(), l.nodeIdB()}) {
            if (end != null) {
                lanes.add(LaneIds.of(l.qkdlId(), end));
            }
        }
        long before = 0;
        List<Reservation> displaced = new ArrayList<>();
        for (String lane : lanes) {
            before += admission.admissibleBps(lane);
            displaced.addAll(admission.updateCapacity(lane, capacity / 2));
        }
        String cause = "link " + l.qkdlId() + (capacity == 0 ? " down" : " key rate fell to " + (long) capacity + " bit/s");
        topologyWatchers.link(topologyLink(l), removed);
        for (Reservation r : displaced) {
            recover(r.serviceId(), cause);
        }
        java.util.Set<String> waiting = awaitingCapacity.remove(l.qkdlId());
        if (waiting != null) {
            for (String id : waiting) {
                awaitingCapacity.values().forEach(ids -> ids.remove(id));
                recover(id, "its reservation and routes disagreed after a restart");
            }
            awaitingCapacity.values().removeIf(java.util.Set::isEmpty);
        }
        long after = 0;
        for (String lane : lanes) {
            after += admission.admissibleBps(lane);
        }
        if (after > before) {
            retryDegraded();
        }
    }

    /** A service lost its reservation: move it, or degrade it, once its operation in flight is done. Executor only. */
    private void recover(String serviceId, String cause) {
        serial.run(serviceId, () -> recoverNow(serviceId, cause));
    }

    private CompletableFuture<Void> recoverNow(String serviceId, String cause) {
        KeyService s = services.get(serviceId);
        if (s == null || s.getState() != KeyServiceState.KEY_SERVICE_STATE_ACTIVE) {
            return CompletableFuture.completedFuture(null); // gone, or holds nothing (DEGRADED)
        }
        if (admission.reservation(serviceId).isPresent()) {
            return CompletableFuture.completedFuture(null); // an operation since re-admitted it
        }
        KeyServiceSpec spec = s.getSpec();
        if (spec.getProtection() == Protection.PROTECTION_NONE) {
            return degrade(s, cause);
        }
        if (spec.getProtection() == Protection.PROTECTION_ONE_PLUS_ONE) {
            for (ServiceRoute r : s.getRoutesList()) {
                if (r.getInstalled() && planner.routeUp(r) && planner.reserve(serviceId, spec, List.of(r)).admitted()) {
                    return switchTo(s, r, cause);
                }
            }
        }
        List<ServiceRoute> routes;
        try {
            routes = planner.plan(spec, serviceId);
        } catch (StatusRuntimeException e) {
            return degrade(s, cause);
        }
        if (!planner.reserve(serviceId, spec, routes).admitted()) {
            return degrade(s, cause);
        }
        String why = cause;
        KeyService from = s;
        return installRoutes(s, spec, routes).handle((installed, e) -> {
            if (e != null) {
                admission.release(serviceId);
                Status st = Status.fromThrowable(e);
                return degrade(from, why + "; install failed: " + st.getCode() + " " + st.getDescription());
            }
            boolean moved = !samePath(installed.get(0), from.getRoutes(0));
            KeyService next = from.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                    .setReason((moved ? "rerouted: " : "kept route: ") + why
                            + (installed.size() < expectedRoutes(spec) ? "; unprotected: no disjoint backup route" : ""))
                    .clearRoutes().addAllRoutes(installed).setReroutes(from.getReroutes() + (moved ? 1 : 0))
                    .setUpdatedAt(ts(clock.instant())).build();
            commit(next);
            retire(from, installed);
            log.debug("key service {} {}", serviceId, next.getReason());
            return durable();
        }).thenCompose(f -> f);
    }

    /**
     * 1+1: the surviving route is installed already, so the switch commits at once (reserved:
     * that route alone); the dead route is removed and a new backup is sought afterwards.
     */
    private CompletableFuture<Void> switchTo(KeyService s, ServiceRoute survivor, String cause) {
        boolean moved = !samePath(survivor, s.getRoutes(0));
        List<ServiceRoute> dead = new ArrayList<>(s.getRoutesList());
        dead.remove(survivor);
        KeyService next = s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                .setReason((moved ? "rerouted: " : "kept route: ") + cause + "; unprotected: no disjoint backup route")
                .clearRoutes().addRoutes(survivor).setReroutes(s.getReroutes() + (moved ? 1 : 0))
                .setUpdatedAt(ts(clock.instant())).build();
        commit(next);
        removeOnceCommitted(dead);
        serial.run(s.getServiceId(), () -> protectAgain(s.getServiceId()));
        return durable();
    }

    /** 1+1 with one route: a new disjoint backup, reserved and installed, when there is one. Executor only. */
    private CompletableFuture<Void> protectAgain(String serviceId) {
        KeyService s = services.get(serviceId);
        if (s == null || s.getState() != KeyServiceState.KEY_SERVICE_STATE_ACTIVE || s.getRoutesCount() != 1
                || s.getSpec().getProtection() != Protection.PROTECTION_ONE_PLUS_ONE) {
            return CompletableFuture.completedFuture(null);
        }
        Optional<ServiceRoute> backup = planner.backupFor(s.getSpec(), serviceId, s.getRoutes(0));
        if (backup.isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        List<ServiceRoute> pair = List.of(s.getRoutes(0), backup.get());
        Optional<Reservation> before = admission.reservation(serviceId);
        if (before.isEmpty() || !planner.reserve(serviceId, s.getSpec(), pair).admitted()) {
            return CompletableFuture.completedFuture(null);
        }
        return installRoutes(s, s.getSpec(), pair).handle((installed, e) -> {
            if (e != null) {
                restoreReservation(s, before);
                return CompletableFuture.<Void>completedFuture(null);
            }
            String reason = s.getReason().replace("; unprotected: no disjoint backup route", "; protected again");
            commit(services.get(serviceId).toBuilder().setReason(reason).clearRoutes().addAllRoutes(installed)
                    .setUpdatedAt(ts(clock.instant())).build());
            retire(s, installed);
            return durable();
        }).thenCompose(f -> f);
    }

    /** Executor only: no reservation, no route, state DEGRADED with the cause. */
    private CompletableFuture<Void> degrade(KeyService s, String cause) {
        admission.release(s.getServiceId());
        KeyService next = s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_DEGRADED)
                .setReason("no route carries the service: " + cause).clearRoutes()
                .setUpdatedAt(ts(clock.instant())).build();
        commit(next);
        removeOnceCommitted(s.getRoutesList());
        scheduleFailure(next);
        log.info("key service {} DEGRADED: {}", s.getServiceId(), cause);
        return durable();
    }

    /**
     * <b>FAILED rule:</b> a service that stays DEGRADED (no retry restored it) for the settings'
     * {@code degradedRetryWindow} becomes FAILED: terminal, holding no reservation and no route,
     * no longer retried, listed until deleted. A zero window keeps it waiting. Executor only.
     */
    private void scheduleFailure(KeyService degraded) {
        java.time.Duration window = topology.settings().degradedRetryWindow();
        if (window.isZero()) {
            return;
        }
        Timestamp since = degraded.getUpdatedAt();
        long delayMs = Math.max(0, Instant.ofEpochSecond(since.getSeconds(), since.getNanos()).plus(window).toEpochMilli()
                - clock.millis());
        String id = degraded.getServiceId();
        long schedule = failureSchedule;
        executor.schedule(() -> serial.run(id, () -> {
            KeyService s = services.get(id);
            if (schedule == failureSchedule && s != null && s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED
                    && s.getUpdatedAt().equals(since)) {
                admission.release(id);
                commit(s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_FAILED)
                        .setReason("degraded for longer than " + window + ": " + s.getReason())
                        .setUpdatedAt(ts(clock.instant())).build());
                log.warn("key service {} FAILED: degraded for longer than {}", id, window);
                return durable();
            }
            return CompletableFuture.completedFuture(null);
        }), delayMs, TimeUnit.MILLISECONDS);
    }

    /**
     * Executor only. Highest priority first, then service id order (deterministic). A service with
     * an operation in flight (a degrade whose commit is not yet durable, a recovery that may yet
     * degrade it) gets one retry queued behind it: skipping it would leave it DEGRADED until the
     * next periodic retry, {@value #DEGRADED_RETRY_INTERVAL_S} s later, though capacity came back.
     */
    private void retryDegraded() {
        List<KeyService> candidates = new ArrayList<>();
        for (KeyService s : services.values()) {
            String id = s.getServiceId();
            if ((s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED || serial.busy(id))
                    && !retriesQueued.contains(id)) {
                candidates.add(s);
            }
        }
        candidates.sort(Comparator.comparingInt((KeyService s) -> -s.getSpec().getQos().getPriority())
                .thenComparing(KeyService::getServiceId));
        for (KeyService s : candidates) {
            String id = s.getServiceId();
            retriesQueued.add(id);
            serial.run(id, () -> {
                retriesQueued.remove(id);
                return retry(id);
            });
        }
    }

    private CompletableFuture<Void> retry(String serviceId) {
        KeyService s = services.get(serviceId);
        if (s == null || s.getState() != KeyServiceState.KEY_SERVICE_STATE_DEGRADED) {
            return CompletableFuture.completedFuture(null);
        }
        List<ServiceRoute> routes;
        try {
            routes = planner.plan(s.getSpec(), serviceId);
            planner.reserveOrThrow(serviceId, s.getSpec(), routes);
        } catch (StatusRuntimeException e) {
            log.debug("key service {} still degraded: {}", serviceId, e.getStatus());
            return CompletableFuture.completedFuture(null);
        }
        return installRoutes(s, s.getSpec(), routes).handle((installed, e) -> {
            if (e != null) {
                admission.release(serviceId);
                log.debug("key service {} still degraded: {}", serviceId, Status.fromThrowable(e));
                return CompletableFuture.<Void>completedFuture(null);
            }
            KeyService next = s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                    .setReason(installed.size() < expectedRoutes(s.getSpec()) ? "restored; unprotected: no disjoint backup route"
                            : "restored")
                    .clearRoutes().addAllRoutes(installed)
                    .setReroutes(s.getReroutes() + 1).setUpdatedAt(ts(clock.instant())).build();
            commit(next);
            retire(s, installed);
            log.info("key service {} restored on {}", serviceId, describe(installed));
            return durable();
        }).thenCompose(f -> f);
    }

    // ---------------------------------------------------------------- helpers

    /**
     * Runs {@code task} on the owner thread and answers with the future it returns. A status
     * failure is the caller's answer; anything else is logged and answered INTERNAL.
     */
    private <T> CompletableFuture<T> submit(Callable<CompletableFuture<T>> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                CompletableFuture<T> inner;
                try {
                    inner = task.call();
                } catch (Exception | Error e) {
                    inner = CompletableFuture.failedFuture(e);
                }
                inner.whenComplete((v, e) -> {
                    if (e == null) {
                        f.complete(v);
                        return;
                    }
                    Throwable c = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
                    if (c instanceof StatusRuntimeException) {
                        f.completeExceptionally(c);
                    } else {
                        log.error("key service operation failed", c);
                        f.completeExceptionally(Status.INTERNAL.withDescription("internal error").asRuntimeException());
                    }
                });
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(Status.UNAVAILABLE.withDescription("controller shutting down").asRuntimeException());
        }
        return f;
    }

    /** {@code f}'s outcome, delivered on the owner thread (where the continuation may touch state). */
    private <T> CompletableFuture<T> onOwner(CompletableFuture<T> f) {
        CompletableFuture<T> out = new CompletableFuture<>();
        f.whenComplete((v, e) -> {
            try {
                executor.execute(() -> {
                    if (e != null) {
                        out.completeExceptionally(e instanceof CompletionException && e.getCause() != null ? e.getCause() : e);
                    } else {
                        out.complete(v);
                    }
                });
            } catch (RejectedExecutionException x) {
                log.debug("closing: an acknowledgement arrived after the owner thread stopped");
            }
        });
        return out;
    }

    private static Timestamp ts(Instant i) {
        return Timestamp.newBuilder().setSeconds(i.getEpochSecond()).setNanos(i.getNano()).build();
    }

    private static String describe(List<ServiceRoute> routes) {
        StringBuilder sb = new StringBuilder();
        for (ServiceRoute r : routes) {
            sb.append(sb.length() == 0 ? "" : " + ").append(String.join(">", r.getQkdnIdsList()));
        }
        return sb.toString();
    }
}

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
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.admission.AdmissionDecision;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.path.CostFunction;
import org.qkdnf.controller.path.DisjointPair;
import org.qkdnf.controller.path.Path;
import org.qkdnf.controller.path.PathEngine;
import org.qkdnf.controller.path.PathGraph;
import org.qkdnf.controller.path.PathRequest;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
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
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key services: route computation on the key-rate-aware graph, admission of the minimum
 * bandwidth on every link, installation into the key managers over Sk, and recovery when links
 * fail or lose key rate.
 *
 * <p><b>Setup.</b> The graph holds the links whose merged status is ACTIVE and that are not
 * flagged degraded; an edge's available rate is the {@link AdmissionController}'s admissible rate
 * minus what is reserved on it (plus what the service itself holds, for a modify). PROTECTION_NONE
 * and PROTECTION_RESTORATION get the cheapest path ({@link CostFunction#DEFAULT}); ONE_PLUS_ONE a
 * node-disjoint pair, both reserved, the first installed (keys flow on it) and the second held as
 * a hot standby (installed on a switch). {@code min_bandwidth_bps} is reserved on every link of
 * every route, all or nothing. A request that no route can carry is answered RESOURCE_EXHAUSTED
 * and leaves nothing behind; an install the key managers refuse is answered with their status,
 * after the reservation was released. So a service exists only once it was ACTIVE.
 *
 * <p><b>Routes in the key managers.</b> Each installed route has its own UUID (route_id), so a new
 * route can be installed before the old one is removed (make-before-break). If the key managers
 * refuse the second route, the old one is removed first and the install retried (break-before-make).
 *
 * <p><b>Recovery.</b> Every link event feeds the link's capacity to the admission controller
 * ({@code skr_bps} when ACTIVE and not degraded, 0 otherwise; an ACTIVE link without measurement
 * yet is left as it was, so a restarted controller keeps its restored reservations until it hears
 * from the agents). Services displaced by that (AdmissionController's rule: lowest priority, then
 * the most recently admitted, go first) move: ONE_PLUS_ONE keeps or switches to the one of its two
 * routes that still works and looks for a new disjoint backup (ACTIVE with a reason when there is
 * none); RESTORATION gets a new cheapest route; when nothing carries the service, or for
 * PROTECTION_NONE, it becomes DEGRADED, holding no reservation and no route. When a link's
 * admissible rate grows, DEGRADED services are retried, highest priority first.
 *
 * <p><b>Expiry.</b> {@code ttl_s} becomes {@code expires_at} at creation; the service is deleted then.
 *
 * <p><b>Threads.</b> All service state is owned by one thread (the {@code qkd-key-services}
 * executor): every mutation, topology event and listener call runs there, in order, so no two
 * changes interleave. Public methods may be called from any thread; mutations answer through a
 * future. Reads ({@link #get}, {@link #list}) see the last completed change.
 */
public final class KeyServiceManager implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(KeyServiceManager.class);

    /** Key the source keeps relayed ahead of demand: at least 64 kbit, else two seconds of rate. */
    static final long MIN_BUFFER_BITS = 65_536;
    /** Upper bound on waiting for the key managers (their own command timeout comes first). */
    static final Duration SK_WAIT = Duration.ofSeconds(30);

    private final QkdTopologyService topology;
    private final AdmissionController admission;
    private final KeyManagementAdminService keyManagement;
    private final KeyServiceStore store;
    private final Clock clock;
    private final CostFunction costFunction = CostFunction.DEFAULT;
    private final ScheduledExecutorService executor;
    /** Written on the executor only; concurrent for readers. */
    private final Map<String, KeyService> services = new ConcurrentHashMap<>();
    /** Executor only. */
    private final Map<String, ScheduledFuture<?>> expiries = new HashMap<>();
    private final List<KeyServiceListener> listeners = new CopyOnWriteArrayList<>();
    /** Latest state of links whose event the executor has not handled yet (see onTopologyEventAsync). */
    private final Map<String, PendingLink> pendingLinks = new ConcurrentHashMap<>();
    private final QkdTopologyListener topologyListener = this::onTopologyEventAsync;
    private volatile boolean started;

    /** Restores the services of {@code store}; {@link #start()} begins to follow the topology. */
    public KeyServiceManager(QkdTopologyService topology, AdmissionController admission,
                             KeyManagementAdminService keyManagement, KeyServiceStore store, Clock clock) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.admission = Objects.requireNonNull(admission, "admission");
        this.keyManagement = Objects.requireNonNull(keyManagement, "keyManagement");
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.executor = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "qkd-key-services");
            t.setDaemon(true);
            return t;
        });
        for (KeyService s : store.loadAll()) {
            services.put(s.getServiceId(), s);
        }
    }

    /** Follows topology events: feeds link capacities, recovers services, schedules expiries. */
    public synchronized void start() {
        if (started) {
            return;
        }
        started = true;
        topology.addListener(topologyListener);
        executor.execute(() -> {
            for (KeyService s : new ArrayList<>(services.values())) {
                if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_PENDING) {
                    abandon(s);
                } else {
                    dropInterruptedInstalls(s);
                    if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED) {
                        admission.release(s.getServiceId()); // a retry interrupted after reserving
                    }
                    scheduleExpiry(s);
                }
            }
            for (QkdLinkInfo l : topology.getLinks()) {
                feedCapacity(l, false);
            }
            retryDegraded();
        });
    }

    @Override
    public void close() {
        topology.removeListener(topologyListener);
        executor.shutdownNow();
        try {
            executor.awaitTermination(2, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
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
            TopologyLink.Builder t = TopologyLink.newBuilder().setQkdlId(l.qkdlId()).setStatus(l.status())
                    .setDegraded(l.degraded()).setSkrBps(l.skrBps())
                    .setAdmissibleBps(admission.admissibleBps(l.qkdlId())).setReservedBps(admission.reservedBps(l.qkdlId()));
            if (l.nodeIdA() != null) {
                t.setQkdnIdA(l.nodeIdA());
            }
            if (l.nodeIdB() != null) {
                t.setQkdnIdB(l.nodeIdB());
            }
            b.addLinks(t);
        }
        return b.build();
    }

    public void addListener(KeyServiceListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
    }

    public void removeListener(KeyServiceListener listener) {
        listeners.remove(listener);
    }

    /**
     * Tells {@code listener} every current service (removed = false), then registers it, on the
     * manager's thread, so it misses no change and sees none twice.
     */
    public CompletableFuture<Void> subscribe(KeyServiceListener listener) {
        Objects.requireNonNull(listener, "listener");
        return submit(() -> {
            for (KeyService s : list()) {
                listener.keyServiceChanged(s, false);
            }
            listeners.add(listener);
            return null;
        });
    }

    /** The route(s) {@code spec} would get now; nothing is reserved. */
    public CompletableFuture<List<ServiceRoute>> queryPaths(KeyServiceSpec spec) {
        return submit(() -> {
            KeyServiceValidator.spec(spec, topology, clock.instant());
            return plan(spec, "", Set.of());
        });
    }

    // ---------------------------------------------------------------- mutations

    /** Validates, routes, reserves and installs; completes with the ACTIVE service. */
    public CompletableFuture<KeyService> create(KeyServiceSpec requested) {
        return submit(() -> {
            Instant now = clock.instant();
            KeyServiceValidator.spec(requested, topology, now);
            KeyServiceSpec spec = withExpiry(requested, now);
            String id = UUID.randomUUID().toString();
            List<ServiceRoute> routes = new ArrayList<>(plan(spec, id, Set.of()));
            routes.set(0, routes.get(0).toBuilder().setRouteId(UUID.randomUUID().toString()).build());
            reserveOrThrow(id, spec, routes);
            // Write-ahead: a crash from here on leaves a PENDING record naming the route, which
            // start() removes from the key managers, and releases, after a restart.
            store.save(KeyService.newBuilder().setServiceId(id).setSpec(spec)
                    .setState(KeyServiceState.KEY_SERVICE_STATE_PENDING).setReason("being set up")
                    .addAllRoutes(routes).setUpdatedAt(ts(now)).build());
            List<ServiceRoute> installed;
            try {
                installed = installWorking(null, spec, routes, List.of());
            } catch (RuntimeException e) {
                admission.release(id);
                store.remove(id);
                throw e;
            }
            KeyService s = KeyService.newBuilder().setServiceId(id).setSpec(spec)
                    .setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                    .setReason(routes.size() < expectedRoutes(spec) ? "unprotected: no disjoint backup route" : "")
                    .addAllRoutes(installed).setUpdatedAt(ts(now)).build();
            commit(s);
            scheduleExpiry(s);
            log.info("key service {} ACTIVE on {}", id, describe(installed));
            return s;
        });
    }

    /**
     * New QoS and, when given, new constraints; re-routed make-before-break when the current
     * route(s) no longer fit. On refusal the service is unchanged.
     */
    public CompletableFuture<KeyService> modify(String serviceId, AppQos qos, PathConstraints constraints) {
        return submit(() -> {
            KeyServiceValidator.serviceId(serviceId);
            KeyService s = existing(serviceId);
            Instant now = clock.instant();
            KeyServiceValidator.qos("qos", qos, now);
            KeyServiceSpec.Builder b = s.getSpec().toBuilder().setQos(qos);
            if (constraints != null) {
                b.setConstraints(constraints);
                KeyServiceValidator.constraints("constraints", constraints, b.build(), topology);
            }
            KeyServiceSpec spec = withExpiry(b.build(), now);
            Optional<Reservation> before = admission.reservation(serviceId);
            List<ServiceRoute> routes = plan(spec, serviceId, Set.of());
            reserveOrThrow(serviceId, spec, routes);
            List<ServiceRoute> installed;
            try {
                installed = installWorking(s, spec, routes, s.getRoutesList());
            } catch (RuntimeException e) {
                if (before.isPresent()) {
                    admission.reserve(serviceId, before.get().priority(), before.get().rateBpsByLink(), false);
                } else {
                    admission.release(serviceId);
                }
                throw e;
            }
            KeyService next = s.toBuilder().setSpec(spec).setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                    .setReason(routes.size() < expectedRoutes(spec) ? "unprotected: no disjoint backup route" : "")
                    .clearRoutes().addAllRoutes(installed).setUpdatedAt(ts(now)).build();
            commit(next);
            cancelExpiry(serviceId);
            scheduleExpiry(next);
            return next;
        });
    }

    /** Removes the route(s) from the key managers and releases the reservation. */
    public CompletableFuture<Void> delete(String serviceId) {
        return submit(() -> {
            KeyServiceValidator.serviceId(serviceId);
            KeyService s = existing(serviceId);
            remove(s, "deleted");
            return null;
        });
    }

    // ---------------------------------------------------------------- internals

    private void remove(KeyService s, String why) {
        for (ServiceRoute r : s.getRoutesList()) {
            uninstall(r);
        }
        admission.release(s.getServiceId());
        store.remove(s.getServiceId());
        services.remove(s.getServiceId());
        cancelExpiry(s.getServiceId());
        log.info("key service {} {}", s.getServiceId(), why);
        notifyListeners(s.toBuilder().setReason(why).build(), true);
    }

    /**
     * A setup interrupted by a crash (never acknowledged): its route is removed from the key
     * managers (re-sent to those not connected yet), its reservation released, its record dropped.
     */
    private void abandon(KeyService s) {
        for (ServiceRoute r : s.getRoutesList()) {
            if (!r.getRouteId().isEmpty()) {
                uninstall(r.toBuilder().setInstalled(true).build());
            }
        }
        admission.release(s.getServiceId());
        services.remove(s.getServiceId());
        store.remove(s.getServiceId());
        log.info("key service {}: setup interrupted by a restart, undone", s.getServiceId());
    }

    /** Routes whose install a crash interrupted (write-ahead entries): removed, and dropped from the record. */
    private void dropInterruptedInstalls(KeyService s) {
        List<ServiceRoute> keep = new ArrayList<>();
        boolean dropped = false;
        for (ServiceRoute r : s.getRoutesList()) {
            if (!r.getInstalled() && !r.getRouteId().isEmpty()) {
                uninstall(r.toBuilder().setInstalled(true).build());
                dropped = true;
            } else {
                keep.add(r);
            }
        }
        if (dropped) {
            KeyService fixed = s.toBuilder().clearRoutes().addAllRoutes(keep).build();
            store.save(fixed);
            services.put(fixed.getServiceId(), fixed);
            log.info("key service {}: route install interrupted by a restart, undone", s.getServiceId());
        }
    }

    private KeyService existing(String serviceId) {
        KeyService s = services.get(serviceId);
        if (s == null) {
            throw KeyServiceValidator.notFound("service_id: no key service " + serviceId);
        }
        return s;
    }

    private void commit(KeyService s) {
        store.save(s);
        services.put(s.getServiceId(), s);
        notifyListeners(s, false);
    }

    private void notifyListeners(KeyService s, boolean removed) {
        for (KeyServiceListener l : listeners) {
            try {
                l.keyServiceChanged(s, removed);
            } catch (RuntimeException e) {
                log.warn("key service listener {} failed", l, e);
            }
        }
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
        expiries.put(id, executor.schedule(() -> {
            KeyService current = services.get(id);
            if (current != null) {
                remove(current, "expired");
            }
        }, delayMs, TimeUnit.MILLISECONDS));
    }

    private void cancelExpiry(String serviceId) {
        ScheduledFuture<?> f = expiries.remove(serviceId);
        if (f != null) {
            f.cancel(false);
        }
    }

    /**
     * The route(s) for {@code spec} now: the cheapest path, or for ONE_PLUS_ONE a node-disjoint
     * pair (falling back to a single path, unprotected, when no pair exists); RESOURCE_EXHAUSTED
     * when no path carries min_bandwidth_bps within the constraints.
     */
    private List<ServiceRoute> plan(KeyServiceSpec spec, String serviceId, Set<String> excludedLinks) {
        PathEngine engine = new PathEngine(graph(serviceId, excludedLinks), costFunction);
        PathRequest request = request(spec, Set.of());
        if (spec.getProtection() == Protection.PROTECTION_ONE_PLUS_ONE) {
            Optional<DisjointPair> pair = engine.nodeDisjointPair(request);
            if (pair.isPresent()) {
                return List.of(route(pair.get().primary()), route(pair.get().secondary()));
            }
        }
        Optional<Path> p = engine.shortestPath(request);
        if (p.isEmpty()) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("no route from " + spec.getMasterQkdnId() + " to "
                    + spec.getSlaveQkdnId() + " carries qos.min_bandwidth_bps="
                    + spec.getQos().getMinBandwidthBps() + " bit/s within the constraints").asRuntimeException();
        }
        return List.of(route(p.get()));
    }

    /** A backup for {@code working}: shortest path sharing none of its links or inner nodes. */
    private Optional<ServiceRoute> backupFor(KeyServiceSpec spec, String serviceId, ServiceRoute working) {
        PathEngine engine = new PathEngine(graph(serviceId, new HashSet<>(working.getQkdlIdsList())), costFunction);
        List<String> nodes = working.getQkdnIdsList();
        return engine.shortestPath(request(spec, new HashSet<>(nodes.subList(1, nodes.size() - 1)))).map(this::route);
    }

    private PathRequest request(KeyServiceSpec spec, Set<String> alsoAvoid) {
        PathConstraints c = spec.getConstraints();
        Set<String> avoid = new HashSet<>(c.getAvoidQkdnIdsList());
        avoid.addAll(alsoAvoid);
        return PathRequest.builder(spec.getMasterQkdnId(), spec.getSlaveQkdnId())
                .rate(spec.getQos().getMinBandwidthBps())
                .maxHops(c.getMaxHops() == 0 ? PathRequest.UNLIMITED_HOPS : c.getMaxHops())
                .avoid(avoid)
                .via(c.getViaQkdnIdsList().toArray(new String[0]))
                .build();
    }

    /**
     * Usable links (ACTIVE, not degraded, both ends known) weighted by their free admissible
     * rate, counting what {@code serviceId} itself holds as free (it is replaced atomically).
     */
    private PathGraph graph(String serviceId, Set<String> excludedLinks) {
        Map<String, Long> own = admission.reservation(serviceId).map(Reservation::rateBpsByLink).orElse(Map.of());
        PathGraph.Builder b = PathGraph.builder();
        for (QkdNodeInfo n : topology.getNodes()) {
            b.addNode(n.qkdnId());
        }
        for (QkdLinkInfo l : topology.getLinks()) {
            if (!usable(l) || excludedLinks.contains(l.qkdlId())) {
                continue;
            }
            long free = admission.admissibleBps(l.qkdlId()) - admission.reservedBps(l.qkdlId())
                    + own.getOrDefault(l.qkdlId(), 0L);
            if (free > 0) {
                b.addLink(l.qkdlId(), l.nodeIdA(), l.nodeIdB(), free, free, 0, 0);
            }
        }
        return b.build();
    }

    private static boolean usable(QkdLinkInfo l) {
        return l.status() == QkdlStatus.QKDL_STATUS_ACTIVE && !l.degraded() && l.nodeIdA() != null
                && l.nodeIdB() != null && !l.nodeIdA().equals(l.nodeIdB());
    }

    private ServiceRoute route(Path p) {
        return ServiceRoute.newBuilder().addAllQkdnIds(p.nodeIds()).addAllQkdlIds(p.linkIds()).build();
    }

    private static Map<String, Long> rates(KeyServiceSpec spec, List<ServiceRoute> routes) {
        Map<String, Long> m = new TreeMap<>();
        for (ServiceRoute r : routes) {
            for (String l : r.getQkdlIdsList()) {
                m.merge(l, spec.getQos().getMinBandwidthBps(), Long::sum);
            }
        }
        return m;
    }

    private void reserveOrThrow(String id, KeyServiceSpec spec, List<ServiceRoute> routes) {
        AdmissionDecision d = admission.reserve(id, spec.getQos().getPriority(), rates(spec, routes), false);
        if (!d.admitted()) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("qos.min_bandwidth_bps: " + d.reason()).asRuntimeException();
        }
    }

    /**
     * Installs {@code routes.get(0)} unless {@code current} already has the same path installed
     * (then it is kept), and removes the installed routes of {@code current} not kept:
     * make-before-break, or break-before-make when the key managers refuse the new route while
     * the old exists. Returns {@code routes} with route ids and the installed flag set; on failure
     * the new route is not installed (the key managers clean up) and the exception is thrown.
     */
    private List<ServiceRoute> installWorking(KeyService owner, KeyServiceSpec spec, List<ServiceRoute> routes,
                                              List<ServiceRoute> current) {
        try {
            return installWorking(owner, spec, routes.get(0), routes, current);
        } catch (RuntimeException e) {
            if (owner != null) {
                store.save(owner); // drop the write-ahead entry
            }
            throw e;
        }
    }

    private List<ServiceRoute> installWorking(KeyService owner, KeyServiceSpec spec, ServiceRoute wanted,
                                              List<ServiceRoute> routes, List<ServiceRoute> current) {
        ServiceRoute kept = null;
        for (ServiceRoute r : current) {
            if (r.getInstalled() && samePath(r, wanted)) {
                kept = r;
            }
        }
        ServiceRoute working;
        List<ServiceRoute> toRemove = new ArrayList<>();
        for (ServiceRoute r : current) {
            if (r.getInstalled() && r != kept) {
                toRemove.add(r);
            }
        }
        if (kept != null) {
            working = kept;
        } else {
            try {
                working = install(spec, intent(owner, wanted));
            } catch (StatusRuntimeException e) {
                if (toRemove.isEmpty() || e.getStatus().getCode() == Status.Code.UNAVAILABLE) {
                    throw e;
                }
                log.info("make-before-break refused ({}); removing the old route first", e.getStatus());
                toRemove.forEach(this::uninstall);
                toRemove.clear();
                working = install(spec, intent(owner, wanted.toBuilder().clearRouteId().build()));
            }
        }
        toRemove.forEach(this::uninstall);
        List<ServiceRoute> out = new ArrayList<>();
        out.add(working);
        for (int i = 1; i < routes.size(); i++) {
            out.add(routes.get(i).toBuilder().clearRouteId().setInstalled(false).build());
        }
        return out;
    }

    /**
     * Write-ahead of an install for an existing service: the route, with its id and not yet
     * installed, is saved in the service's record first, so that after a crash {@link #start()}
     * removes it from the key managers (a service's standby routes never carry a route id).
     */
    private ServiceRoute intent(KeyService owner, ServiceRoute r) {
        ServiceRoute withId = r.getRouteId().isEmpty() ? r.toBuilder().setRouteId(UUID.randomUUID().toString()).build() : r;
        if (owner != null) {
            store.save(owner.toBuilder().addRoutes(withId.toBuilder().setInstalled(false)).build());
        }
        return withId;
    }

    private static boolean samePath(ServiceRoute a, ServiceRoute b) {
        return a.getQkdnIdsList().equals(b.getQkdnIdsList()) && a.getQkdlIdsList().equals(b.getQkdlIdsList());
    }

    private ServiceRoute install(KeyServiceSpec spec, ServiceRoute r) {
        String routeId = r.getRouteId().isEmpty() ? UUID.randomUUID().toString() : r.getRouteId();
        AppQos q = spec.getQos();
        long rate = q.getMaxBandwidthBps() != 0 ? q.getMaxBandwidthBps() : q.getMinBandwidthBps();
        long buffer = Math.max(MIN_BUFFER_BITS, rate * 2);
        buffer = (buffer + 7) / 8 * 8;
        KeyRoute kr = KeyRoute.newBuilder().setServiceId(routeId)
                .setMasterSaeId(spec.getMasterSaeId()).setSlaveSaeId(spec.getSlaveSaeId())
                .addAllRouteQkdnIds(r.getQkdnIdsList()).addAllRouteQkdlIds(r.getQkdlIdsList())
                .setRateBps(rate).setBufferBits(buffer).build();
        await(keyManagement.installRoute(kr, null));
        return r.toBuilder().setRouteId(routeId).setInstalled(true).build();
    }

    /** Best effort: the key-management manager re-sends a removal a key manager missed on reconnect. */
    private void uninstall(ServiceRoute r) {
        if (!r.getInstalled() || r.getRouteId().isEmpty()) {
            return;
        }
        try {
            await(keyManagement.removeRoute(r.getRouteId(), null));
        } catch (StatusRuntimeException e) {
            if (e.getStatus().getCode() != Status.Code.NOT_FOUND) {
                log.warn("route {} not removed everywhere yet (re-sent on reconnect): {}", r.getRouteId(), e.getStatus());
            }
        }
    }

    private static <T> T await(CompletableFuture<T> f) {
        try {
            return f.get(SK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            Throwable c = e.getCause();
            if (c instanceof StatusRuntimeException) {
                throw (StatusRuntimeException) c;
            }
            throw Status.fromThrowable(c).asRuntimeException();
        } catch (TimeoutException e) {
            throw Status.DEADLINE_EXCEEDED.withDescription("key managers did not answer in " + SK_WAIT).asRuntimeException();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw Status.CANCELLED.withDescription("controller shutting down").asRuntimeException();
        }
    }

    // ---------------------------------------------------------------- recovery

    /**
     * Coalesces per link: only the latest state of a link waits for the executor, so a burst of
     * performance reports (or an executor busy waiting for key managers) queues at most one task
     * per link, not one per report.
     */
    private void onTopologyEventAsync(QkdTopologyEvent e) {
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

    /** Executor only. */
    private void feedCapacity(QkdLinkInfo l, boolean removed) {
        double capacity;
        if (removed || !usable(l)) {
            capacity = 0;
        } else if (!l.hasPerformance()) {
            return;
        } else {
            capacity = l.skrBps();
        }
        long before = admission.admissibleBps(l.qkdlId());
        List<Reservation> displaced = admission.updateCapacity(l.qkdlId(), capacity);
        String cause = "link " + l.qkdlId() + (capacity == 0 ? " down" : " key rate fell to " + (long) capacity + " bit/s");
        for (Reservation r : displaced) {
            recover(r.serviceId(), cause);
        }
        if (admission.admissibleBps(l.qkdlId()) > before) {
            retryDegraded();
        }
    }

    /** A service lost its reservation: move it, or degrade it. Executor only. */
    private void recover(String serviceId, String cause) {
        KeyService s = services.get(serviceId);
        if (s == null) {
            admission.release(serviceId);
            return;
        }
        KeyServiceSpec spec = s.getSpec();
        if (spec.getProtection() == Protection.PROTECTION_NONE) {
            degrade(s, cause);
            return;
        }
        List<List<ServiceRoute>> candidates = new ArrayList<>();
        if (spec.getProtection() == Protection.PROTECTION_ONE_PLUS_ONE) {
            // Keep the working route if it still works, else switch to the standby; new backup.
            for (ServiceRoute r : s.getRoutesList()) {
                if (routeUp(r)) {
                    List<ServiceRoute> c = new ArrayList<>();
                    c.add(r);
                    backupFor(spec, serviceId, r).ifPresent(c::add);
                    candidates.add(c);
                }
            }
        }
        try {
            candidates.add(plan(spec, serviceId, Set.of()));
        } catch (StatusRuntimeException e) {
            // no fresh route; the candidates above may still do
        }
        for (List<ServiceRoute> routes : candidates) {
            AdmissionDecision d = admission.reserve(serviceId, spec.getQos().getPriority(), rates(spec, routes), false);
            if (!d.admitted()) {
                continue;
            }
            try {
                List<ServiceRoute> installed = installWorking(s, spec, routes, s.getRoutesList());
                boolean moved = !samePath(installed.get(0), s.getRoutes(0));
                KeyService next = s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                        .setReason((moved ? "rerouted: " : "kept route: ") + cause
                                + (routes.size() < expectedRoutes(spec) ? "; unprotected: no disjoint backup route" : ""))
                        .clearRoutes().addAllRoutes(installed).setReroutes(s.getReroutes() + (moved ? 1 : 0))
                        .setUpdatedAt(ts(clock.instant())).build();
                commit(next);
                log.info("key service {} {}", serviceId, next.getReason());
                return;
            } catch (StatusRuntimeException e) {
                admission.release(serviceId);
                cause = cause + "; install failed: " + e.getStatus().getCode() + " " + e.getStatus().getDescription();
                s = services.get(serviceId);
            }
        }
        degrade(s, cause);
    }

    private boolean routeUp(ServiceRoute r) {
        for (String l : r.getQkdlIdsList()) {
            Optional<QkdLinkInfo> li = topology.getLink(l);
            if (li.isEmpty() || !usable(li.get())) {
                return false;
            }
        }
        return true;
    }

    private void degrade(KeyService s, String cause) {
        for (ServiceRoute r : s.getRoutesList()) {
            uninstall(r);
        }
        admission.release(s.getServiceId());
        KeyService next = s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_DEGRADED)
                .setReason("no route carries the service: " + cause).clearRoutes()
                .setUpdatedAt(ts(clock.instant())).build();
        commit(next);
        log.warn("key service {} DEGRADED: {}", s.getServiceId(), cause);
    }

    /** Executor only. Highest priority first, then oldest id order (deterministic). */
    private void retryDegraded() {
        List<KeyService> degraded = new ArrayList<>();
        for (KeyService s : services.values()) {
            if (s.getState() == KeyServiceState.KEY_SERVICE_STATE_DEGRADED) {
                degraded.add(s);
            }
        }
        degraded.sort(Comparator.comparingInt((KeyService s) -> -s.getSpec().getQos().getPriority())
                .thenComparing(KeyService::getServiceId));
        for (KeyService s : degraded) {
            try {
                List<ServiceRoute> routes = plan(s.getSpec(), s.getServiceId(), Set.of());
                reserveOrThrow(s.getServiceId(), s.getSpec(), routes);
                List<ServiceRoute> installed;
                try {
                    installed = installWorking(s, s.getSpec(), routes, List.of());
                } catch (StatusRuntimeException e) {
                    admission.release(s.getServiceId());
                    throw e;
                }
                KeyService next = s.toBuilder().setState(KeyServiceState.KEY_SERVICE_STATE_ACTIVE)
                        .setReason("restored").clearRoutes().addAllRoutes(installed)
                        .setReroutes(s.getReroutes() + 1).setUpdatedAt(ts(clock.instant())).build();
                commit(next);
                log.info("key service {} restored on {}", s.getServiceId(), describe(installed));
            } catch (StatusRuntimeException e) {
                log.debug("key service {} still degraded: {}", s.getServiceId(), e.getStatus());
            }
        }
    }

    // ---------------------------------------------------------------- helpers

    private <T> CompletableFuture<T> submit(Callable<T> task) {
        CompletableFuture<T> f = new CompletableFuture<>();
        try {
            executor.execute(() -> {
                try {
                    f.complete(task.call());
                } catch (StatusRuntimeException e) {
                    f.completeExceptionally(e);
                } catch (Exception | Error e) {
                    log.error("key service operation failed", e);
                    f.completeExceptionally(Status.INTERNAL.withDescription("internal error").asRuntimeException());
                }
            });
        } catch (RejectedExecutionException e) {
            f.completeExceptionally(Status.UNAVAILABLE.withDescription("controller shutting down").asRuntimeException());
        }
        return f;
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

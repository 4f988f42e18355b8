package org.qkdnf.controller.keyservice;

import io.grpc.Status;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.controller.admission.AdmissionController;
import org.qkdnf.controller.admission.AdmissionDecision;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.path.CostFunction;
import org.qkdnf.controller.path.DisjointPair;
import org.qkdnf.controller.path.Path;
import org.qkdnf.controller.path.PathEngine;
import org.qkdnf.controller.path.PathGraph;
import org.qkdnf.controller.path.PathRequest;
import org.qkdnf.controller.path.RateSplit;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.Protection;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * Routes for a key service on the key-rate-aware graph, and their reservation. The graph holds the
 * links whose merged status is ACTIVE and that are not flagged degraded, each as two directed
 * edges; an edge's available rate is the admission controller's admissible rate minus what is
 * reserved on the lane of that direction ({@link #rates}), plus what the service itself holds (it is replaced atomically, e.g. by a modify). PROTECTION_NONE and
 * PROTECTION_RESTORATION get the cheapest path ({@link CostFunction#DEFAULT}); ONE_PLUS_ONE a
 * node-disjoint pair, falling back to a single path (unprotected) when no pair exists. Edge cost
 * ({@link CostFunction#DEFAULT}): hop count, plus the share of the link's available rate the
 * request takes, plus a pool term from the key managers' reported pool levels ({@link PoolLevels}).
 *
 * <p>Threads: the key-service manager's thread only (it reads the topology and the admission
 * controller, both thread-safe; {@link PoolLevels} and {@link PlanningGraph} cache on that thread).
 */
final class RoutePlanner {

    private final QkdTopologyService topology;
    private final AdmissionController admission;
    private final CostFunction costFunction = CostFunction.DEFAULT;
    private final PlanningGraph graphs;

    RoutePlanner(QkdTopologyService topology, AdmissionController admission, PoolLevels pools) {
        this.topology = topology;
        this.admission = admission;
        this.graphs = new PlanningGraph(topology, admission, pools);
    }

    /** The topology changed (any thread): see {@link PlanningGraph#topologyChanged}. */
    void topologyChanged() {
        graphs.topologyChanged();
    }

    /**
     * The route(s) for {@code spec} now; RESOURCE_EXHAUSTED when no path carries
     * min_bandwidth_bps within the constraints.
     */
    List<ServiceRoute> plan(KeyServiceSpec spec, String serviceId) {
        return plan(spec, serviceId, Map.of());
    }

    /**
     * Like {@link #plan(KeyServiceSpec, String)} on a graph where the rate reserved by services of
     * lower priority than {@code spec}'s counts as free (per lane): the routes a pre-empting setup
     * may take.
     */
    List<ServiceRoute> planPreempting(KeyServiceSpec spec, String serviceId) {
        Map<String, Long> preemptible = new java.util.HashMap<>();
        int priority = spec.getQos().getPriority();
        for (Reservation r : admission.reservations()) {
            if (r.priority() < priority && !r.serviceId().equals(serviceId)) {
                r.rateBpsByLane().forEach((l, bps) -> preemptible.merge(l, bps, Long::sum));
            }
        }
        return plan(spec, serviceId, preemptible);
    }

    private List<ServiceRoute> plan(KeyServiceSpec spec, String serviceId, Map<String, Long> alsoFree) {
        PathEngine engine = new PathEngine(graph(spec, serviceId, Set.of(), alsoFree), costFunction);
        PathRequest request = request(spec, Set.of());
        if (spec.getProtection() == Protection.PROTECTION_ONE_PLUS_ONE) {
            Optional<DisjointPair> pair = engine.nodeDisjointPair(request);
            if (pair.isPresent()) {
                return List.of(route(pair.get().primary()), route(pair.get().secondary()));
            }
        }
        Optional<Path> p = engine.shortestPath(request);
        if (p.isEmpty()) {
            Optional<List<ServiceRoute>> split = split(engine, request, spec);
            if (split.isPresent()) {
                return split.get();
            }
            throw Status.RESOURCE_EXHAUSTED.withDescription("no route from " + spec.getMasterQkdnId() + " to "
                    + spec.getSlaveQkdnId() + " carries qos.min_bandwidth_bps="
                    + spec.getQos().getMinBandwidthBps() + " bit/s within the constraints").asRuntimeException();
        }
        return List.of(route(p.get()));
    }

    /**
     * When no single path carries min_bandwidth_bps: a split over up to
     * {@link PathEngine#DEFAULT_MAX_SPLIT_PATHS} paths by min-cost max-flow
     * ({@link org.qkdnf.controller.path.MaxFlowSplitter}), each route with the rate it carries, only
     * if the whole rate fits within the constraints (all or nothing). Not for ONE_PLUS_ONE (a pair
     * of split flows is not a protection) nor with via nodes (the flow does not take waypoints).
     */
    private Optional<List<ServiceRoute>> split(PathEngine engine, PathRequest request, KeyServiceSpec spec) {
        if (spec.getProtection() == Protection.PROTECTION_ONE_PLUS_ONE || spec.getConstraints().getViaQkdnIdsCount() > 0) {
            return Optional.empty();
        }
        RateSplit split = engine.split(request, PathEngine.DEFAULT_MAX_SPLIT_PATHS);
        if (!split.satisfied() || split.shares().size() < 2) {
            return Optional.empty();
        }
        int maxHops = spec.getConstraints().getMaxHops();
        List<ServiceRoute> routes = new ArrayList<>();
        for (RateSplit.Share share : split.shares()) {
            if (maxHops != 0 && share.path().linkIds().size() > maxHops) {
                return Optional.empty();
            }
            routes.add(route(share.path()).toBuilder().setRateBps(share.rate()).build());
        }
        return Optional.of(routes);
    }

    /** A backup for {@code working}: shortest path sharing none of its links or inner nodes. */
    Optional<ServiceRoute> backupFor(KeyServiceSpec spec, String serviceId, ServiceRoute working) {
        PathEngine engine = new PathEngine(graph(spec, serviceId, new HashSet<>(working.getQkdlIdsList()), Map.of()),
                costFunction);
        List<String> nodes = working.getQkdnIdsList();
        return engine.shortestPath(request(spec, new HashSet<>(nodes.subList(1, nodes.size() - 1)))).map(this::route);
    }

    /** Reserves min_bandwidth_bps on every lane of every route (all or nothing); RESOURCE_EXHAUSTED when refused. */
    void reserveOrThrow(String serviceId, KeyServiceSpec spec, List<ServiceRoute> routes) {
        AdmissionDecision d = reserve(serviceId, spec, routes);
        if (!d.admitted()) {
            throw Status.RESOURCE_EXHAUSTED.withDescription("qos.min_bandwidth_bps: " + d.reason()).asRuntimeException();
        }
    }

    AdmissionDecision reserve(String serviceId, KeyServiceSpec spec, List<ServiceRoute> routes) {
        return admission.reserve(serviceId, spec.getQos().getPriority(), rates(spec, routes), false);
    }

    /** Reserves, displacing lower-priority reservations when that makes it fit (AdmissionController's rule). */
    AdmissionDecision reservePreempting(String serviceId, KeyServiceSpec spec, List<ServiceRoute> routes) {
        return admission.reserve(serviceId, spec.getQos().getPriority(), rates(spec, routes), true);
    }

    /**
     * The rate each lane carries for {@code routes}: per route crossing it, the route's share of a
     * split, else min_bandwidth_bps (1+1: both routes carry the whole rate). A route's hop from
     * node n over link l spends n's lane of l ({@link LaneIds}), the only key the key managers
     * relay from n over l.
     */
    static Map<String, Long> rates(KeyServiceSpec spec, List<ServiceRoute> routes) {
        Map<String, Long> m = new TreeMap<>();
        for (ServiceRoute r : routes) {
            long rate = r.getRateBps() != 0 ? r.getRateBps() : spec.getQos().getMinBandwidthBps();
            for (int i = 0; i < r.getQkdlIdsCount(); i++) {
                m.merge(LaneIds.of(r.getQkdlIds(i), r.getQkdnIds(i)), rate, Long::sum);
            }
        }
        return m;
    }

    /** Whether every link of {@code r} is usable now. */
    boolean routeUp(ServiceRoute r) {
        for (String l : r.getQkdlIdsList()) {
            Optional<QkdLinkInfo> li = topology.getLink(l);
            if (li.isEmpty() || !usable(li.get())) {
                return false;
            }
        }
        return true;
    }

    static boolean usable(QkdLinkInfo l) {
        return l.status() == QkdlStatus.QKDL_STATUS_ACTIVE && !l.degraded() && l.nodeIdA() != null
                && l.nodeIdB() != null && !l.nodeIdA().equals(l.nodeIdB());
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
     * Usable links (ACTIVE, not degraded, both ends known), each direction weighted by its lane's
     * free admissible rate, counting what {@code serviceId} itself holds (it is replaced
     * atomically) and {@code alsoFree} (per lane) as free.
     */
    private PathGraph graph(KeyServiceSpec spec, String serviceId, Set<String> excludedLinks, Map<String, Long> alsoFree) {
        Map<String, Long> own = admission.reservation(serviceId).map(Reservation::rateBpsByLane).orElse(Map.of());
        Map<String, Long> free = own;
        if (!alsoFree.isEmpty()) {
            Map<String, Long> sum = new java.util.HashMap<>(own);
            alsoFree.forEach((l, bps) -> sum.merge(l, bps, Long::sum));
            free = sum;
        }
        PathGraph g = graphs.graph(excludedLinks, free);
        if (!knows(g, spec)) {
            // A node the validator just found in the topology, added before its event reached
            // the planning graph: look at the topology now rather than plan without it.
            graphs.topologyChanged();
            g = graphs.graph(excludedLinks, free);
        }
        return g;
    }

    private static boolean knows(PathGraph g, KeyServiceSpec spec) {
        if (g.nodeIndex(spec.getMasterQkdnId()) < 0 || g.nodeIndex(spec.getSlaveQkdnId()) < 0) {
            return false;
        }
        for (String via : spec.getConstraints().getViaQkdnIdsList()) {
            if (g.nodeIndex(via) < 0) {
                return false;
            }
        }
        return true;
    }

    private ServiceRoute route(Path p) {
        return ServiceRoute.newBuilder().addAllQkdnIds(p.nodeIds()).addAllQkdlIds(p.linkIds()).build();
    }
}

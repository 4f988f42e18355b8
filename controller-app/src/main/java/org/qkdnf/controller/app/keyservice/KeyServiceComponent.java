package org.qkdnf.controller.app.keyservice;

import java.nio.ByteBuffer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import java.util.function.Function;

import com.google.protobuf.InvalidProtocolBufferException;

import io.grpc.Status;
import org.onlab.util.KryoNamespace;
import org.onosproject.cluster.ClusterService;
import org.onosproject.cluster.Leader;
import org.onosproject.cluster.Leadership;
import org.onosproject.cluster.LeadershipEvent;
import org.onosproject.cluster.LeadershipEventListener;
import org.onosproject.cluster.LeadershipService;
import org.onosproject.cluster.NodeId;
import org.onosproject.store.cluster.messaging.ClusterCommunicationService;
import org.onosproject.store.cluster.messaging.MessageSubject;
import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.MapEvent;
import org.onosproject.store.service.MapEventListener;
import org.onosproject.store.service.Serializer;
import org.onosproject.store.service.StorageService;
import org.onosproject.store.service.Versioned;
import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.component.annotations.Reference;
import org.osgi.service.component.annotations.ReferenceCardinality;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.keyservice.KeyServiceListener;
import org.qkdnf.controller.keyservice.KeyServiceManager;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.GetTopologyRequest;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.KeyServiceState;
import org.qkdnf.proto.northbound.v1.ModifyKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.ModifyKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.PathConstraints;
import org.qkdnf.proto.northbound.v1.QueryPathsRequest;
import org.qkdnf.proto.northbound.v1.QueryPathsResponse;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Key services in an ONOS cluster. Admission is one constraint over links that all services
 * share, so the services are not partitioned: the instance that wins the leadership of
 * {@value #TOPIC} owns all of them and runs the core's key-service manager over the cluster's
 * maps ({@link LeaderRun}); every other instance forwards changes and path queries to it over
 * ClusterCommunicationService and answers reads from the maps. A new leader raises the owner
 * fence and rebuilds the manager from the maps, so nothing acknowledged is lost and a former
 * leader cannot write any more; the former leader closes its manager when it hears of the change.
 * Performance figures stay on the instance whose agent reported them, so every instance relays its
 * figures to the leader ({@link PerformanceRelay}), whose manager sees them through
 * {@link RelayedPerformanceTopology}. Nc topology watches on every instance are fed with the
 * leader's manager's changes ({@link ClusterTopologyWatch}).
 *
 * <p>Threads: leadership changes and policy changes run on the {@code qkdnf-key-services-leadership}
 * thread, which alone writes {@code run} and {@code admissibleFraction} (volatile for the request
 * threads) and owns {@code knownLeader}; topology changes another instance broadcast are handled
 * there too, in order. Forwarded requests are answered on the manager's thread (through its
 * futures), which also hands its topology changes on. Map listeners run on ONOS's event threads and
 * only decode and hand on.
 */
@Component(immediate = true, service = {KeyServicesService.class, KeyServiceComponent.class})
public class KeyServiceComponent implements KeyServicesService {

    /** The leadership topic whose leader owns the key services. */
    public static final String TOPIC = "org.qkdnf.key-services";
    static final String SERVICES_MAP = "qkdnf-controller-key-services";
    static final String RESERVATIONS_MAP = "qkdnf-controller-reservations";
    static final String OWNER_MAP = "qkdnf-controller-key-services-owner";
    static final MessageSubject REQUESTS = new MessageSubject("qkdnf-key-services-request");
    /** The leader's topology changes for the other instances' Nc watches: its term (8 bytes), then the message. */
    static final MessageSubject TOPOLOGY_CHANGES = new MessageSubject("qkdnf-key-services-topology");
    /** Longer than the manager's own wait for the key managers (30 s), so its answer comes first. */
    static final Duration FORWARD_TIMEOUT = Duration.ofSeconds(45);
    /** Share of a link's measured SKR key services may reserve until netcfg says otherwise (as standalone). */
    public static final double ADMISSIBLE_FRACTION_DEFAULT = 0.9;

    private static final Logger log = LoggerFactory.getLogger(KeyServiceComponent.class);
    private static final Serializer SERIALIZER = Serializer.using(
            new KryoNamespace.Builder().register(byte[].class).build("qkdnf-controller-key-services"));

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected StorageService storageService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected LeadershipService leadershipService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ClusterService clusterService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected ClusterCommunicationService communicationService;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected QkdTopologyService topology;

    @Reference(cardinality = ReferenceCardinality.MANDATORY)
    protected KeyManagementAdminService keyManagement;

    private NodeId localNode;
    private ConsistentMap<String, byte[]> services;
    private ConsistentMap<String, byte[]> reservations;
    private ConsistentMap<String, byte[]> owner;
    private ExecutorService leadershipThread;
    private RelayedPerformanceTopology relayedTopology;
    private PerformanceRelay performanceRelay;
    private volatile LeaderRun run;
    private volatile double admissibleFraction = ADMISSIBLE_FRACTION_DEFAULT;
    /** The leader this instance last heard of (leadership thread). */
    private Leader knownLeader;
    private final ClusterTopologyWatch topologyWatches = new ClusterTopologyWatch();
    private final List<KeyServiceListener> listeners = new CopyOnWriteArrayList<>();
    private final LeadershipEventListener leadershipListener = this::leadershipChanged;
    private final MapEventListener<String, byte[]> serviceListener = this::serviceMapChanged;

    @Activate
    protected void activate() {
        localNode = clusterService.getLocalNode().id();
        services = map(SERVICES_MAP);
        reservations = map(RESERVATIONS_MAP);
        owner = map(OWNER_MAP);
        services.addListener(serviceListener);
        leadershipThread = Executors.newSingleThreadExecutor(r -> {
            Thread t = new Thread(r, "qkdnf-key-services-leadership");
            t.setDaemon(true);
            return t;
        });
        relayedTopology = new RelayedPerformanceTopology(topology);
        communicationService.addSubscriber(REQUESTS, Function.identity(), this::handleForwarded, Function.identity());
        communicationService.addSubscriber(PerformanceRelay.SUBJECT, Function.identity(), this::performanceRelayed,
                leadershipThread);
        communicationService.addSubscriber(TOPOLOGY_CHANGES, Function.identity(), this::topologyChangeRelayed,
                leadershipThread);
        performanceRelay = new PerformanceRelay(topology, communicationService, localNode,
                () -> leadershipService.getLeader(TOPIC));
        leadershipService.addListener(leadershipListener);
        leadershipService.runForLeadership(TOPIC);
        leadershipThread.execute(this::reconcile);
        log.info("Started on {}: {} key services in the cluster", localNode, services.size());
    }

    @Deactivate
    protected void deactivate() {
        leadershipService.removeListener(leadershipListener);
        communicationService.removeSubscriber(REQUESTS);
        communicationService.removeSubscriber(PerformanceRelay.SUBJECT);
        communicationService.removeSubscriber(TOPOLOGY_CHANGES);
        performanceRelay.close();
        topologyWatches.endAll("key services stopping on " + localNode + "; watch the topology again");
        // Close the manager before withdrawing, so that no two managers overlap on a graceful handover.
        try {
            leadershipThread.submit(this::stopRun).get(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException | TimeoutException e) {
            log.warn("key-service manager did not stop cleanly: {}", e.toString());
        }
        leadershipThread.shutdownNow();
        leadershipService.withdraw(TOPIC);
        services.removeListener(serviceListener);
        log.info("Stopped");
    }

    private ConsistentMap<String, byte[]> map(String name) {
        return storageService.<String, byte[]>consistentMapBuilder().withName(name).withSerializer(SERIALIZER).build();
    }

    // ------------------------------------------------------------------ leadership (leadership thread)

    private void leadershipChanged(LeadershipEvent event) {
        if (TOPIC.equals(event.subject().topic())) {
            leadershipThread.execute(this::reconcile);
        }
    }

    /** Starts, keeps or stops the manager to match the current leadership. Leadership thread only. */
    private void reconcile() {
        Leadership leadership = leadershipService.getLeadership(TOPIC);
        Leader leader = leadership == null ? null : leadership.leader();
        boolean mine = leader != null && localNode.equals(leader.nodeId());
        if (knownLeader != null && !sameTerm(knownLeader, leader)) {
            topologyWatches.endAll((leader == null ? "no key-service leader now"
                    : "key-service leader changed to " + leader.nodeId()) + "; watch the topology again");
        }
        knownLeader = leader;
        LeaderRun current = run;
        if (mine && current != null && current.term() == leader.term()) {
            return;
        }
        stopRun();
        if (mine) {
            try {
                run = LeaderRun.start(leader.term(), admissibleFraction, owner, services, reservations,
                        relayedTopology, keyManagement).orElse(null);
                if (run != null) {
                    long term = leader.term();
                    run.manager().watchTopology(change -> topologyChanged(term, change));
                }
            } catch (RuntimeException e) {
                // The maps were unreachable or a former leader's record broke the load: stay a
                // follower that forwards to nobody; the next leadership or policy event retries.
                log.error("key services: cannot take over as leader for term {}: {}", leader.term(), e.toString(), e);
            }
        }
    }

    private static boolean sameTerm(Leader a, Leader b) {
        return b != null && a.nodeId().equals(b.nodeId()) && a.term() == b.term();
    }

    /** The leader's manager thread: a change for this instance's watches and, broadcast, everyone else's. */
    private void topologyChanged(long term, WatchTopologyResponse change) {
        if (change.hasSnapshot()) {
            return;  // each watch gets its own snapshot when it starts
        }
        topologyWatches.changed(change);
        byte[] message = change.toByteArray();
        communicationService.broadcast(ByteBuffer.allocate(Long.BYTES + message.length).putLong(term).put(message).array(),
                TOPOLOGY_CHANGES, Function.identity());
    }

    /** Leadership thread: a change the leader broadcast; one from a term this instance knows is over is dropped. */
    private void topologyChangeRelayed(byte[] bytes) {
        try {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            long term = b.getLong();
            if (knownLeader != null && knownLeader.term() != term) {
                return;
            }
            topologyWatches.changed(WatchTopologyResponse.parseFrom(b));
        } catch (InvalidProtocolBufferException | java.nio.BufferUnderflowException e) {
            log.warn("relayed topology change does not parse; dropped");
        }
    }

    /** Figures another instance's agents reported, relayed to the leader (see {@link PerformanceRelay}). */
    private void performanceRelayed(byte[] bytes) {
        try {
            relayedTopology.relayed(PerformanceReport.parseFrom(bytes).getLinksList());
        } catch (InvalidProtocolBufferException e) {
            log.warn("relayed performance figures do not parse; dropped");
        }
    }

    private void stopRun() {
        LeaderRun r = run;
        if (r != null) {
            run = null;
            r.close();
        }
    }

    /**
     * Applies the netcfg policy's admissible fraction. The leader hands it to its running manager,
     * which displaces the reservations over the new limit and reroutes or degrades their services
     * while it keeps answering requests; a manager started later starts with it.
     */
    public void setAdmissibleFraction(double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("admissibleFraction: must be in (0, 1], got " + fraction);
        }
        leadershipThread.execute(() -> {
            if (admissibleFraction == fraction) {
                return;
            }
            log.info("key services: admissible fraction {} -> {}", admissibleFraction, fraction);
            admissibleFraction = fraction;
            LeaderRun current = run;
            if (current != null) {
                current.manager().setAdmissibleFraction(fraction).whenComplete((v, e) -> {
                    if (e != null) {
                        // The manager closed (leadership ended) or a write was fenced: the next
                        // leader starts from the maps with the fraction in force.
                        log.warn("key services: admissible fraction {} not applied by term {}: {}", fraction,
                                current.term(), e.toString());
                    }
                });
            }
        });
    }

    /**
     * The settings' degraded retry window changed: the leader's running manager applies it to the
     * services already DEGRADED (a manager started later schedules them with it anyway).
     */
    public void degradedRetryWindowChanged() {
        leadershipThread.execute(() -> {
            LeaderRun current = run;
            if (current != null) {
                current.manager().degradedRetryWindowChanged().whenComplete((v, e) -> {
                    if (e != null) {
                        log.warn("key services: new degraded retry window not applied by term {}: {}", current.term(),
                                e.toString());
                    }
                });
            }
        });
    }

    /** The fraction in force (the netcfg policy's, else the default). */
    public double admissibleFraction() {
        return admissibleFraction;
    }

    /** This instance's manager while it is the leader (tests, diagnostics). */
    Optional<LeaderRun> leaderRun() {
        return Optional.ofNullable(run);
    }

    // ------------------------------------------------------------------ requests

    @Override
    public CompletableFuture<KeyService> create(KeyServiceSpec spec) {
        LeaderRun r = run;
        if (r != null) {
            return r.manager().create(spec);
        }
        return forward(ForwardedRequests.Op.CREATE, CreateKeyServiceRequest.newBuilder().setSpec(spec).build(),
                b -> CreateKeyServiceResponse.parseFrom(b).getService());
    }

    @Override
    public CompletableFuture<KeyService> modify(String serviceId, AppQos qos, PathConstraints constraints) {
        LeaderRun r = run;
        if (r != null) {
            return r.manager().modify(serviceId, qos, constraints);
        }
        ModifyKeyServiceRequest.Builder m = ModifyKeyServiceRequest.newBuilder().setServiceId(serviceId).setQos(qos);
        if (constraints != null) {
            m.setConstraints(constraints);
        }
        return forward(ForwardedRequests.Op.MODIFY, m.build(), b -> ModifyKeyServiceResponse.parseFrom(b).getService());
    }

    @Override
    public CompletableFuture<Void> delete(String serviceId) {
        LeaderRun r = run;
        if (r != null) {
            return r.manager().delete(serviceId);
        }
        return forward(ForwardedRequests.Op.DELETE, DeleteKeyServiceRequest.newBuilder().setServiceId(serviceId).build(),
                b -> {
                    DeleteKeyServiceResponse.parseFrom(b);
                    return null;
                });
    }

    @Override
    public CompletableFuture<List<ServiceRoute>> queryPaths(KeyServiceSpec spec) {
        LeaderRun r = run;
        if (r != null) {
            return r.manager().queryPaths(spec);
        }
        return forward(ForwardedRequests.Op.QUERY_PATHS, QueryPathsRequest.newBuilder().setSpec(spec).build(),
                b -> QueryPathsResponse.parseFrom(b).getRoutesList());
    }

    @Override
    public CompletableFuture<GetTopologyResponse> topology() {
        LeaderRun r = run;
        if (r != null) {
            return CompletableFuture.completedFuture(r.manager().topologySnapshot());
        }
        return forward(ForwardedRequests.Op.TOPOLOGY, GetTopologyRequest.getDefaultInstance(),
                GetTopologyResponse::parseFrom);
    }

    private <T> CompletableFuture<T> forward(ForwardedRequests.Op op, com.google.protobuf.MessageLite request,
                                             ForwardedRequests.Parser<T> parser) {
        NodeId leader = leadershipService.getLeader(TOPIC);
        if (leader == null) {
            return CompletableFuture.failedFuture(ForwardedRequests.unavailable("no key-service leader is elected; retry"));
        }
        if (leader.equals(localNode)) {
            return CompletableFuture.failedFuture(ForwardedRequests.unavailable(
                    "key services are starting on this instance (" + localNode + "); retry"));
        }
        CompletableFuture<byte[]> sent;
        try {
            sent = communicationService.sendAndReceive(ForwardedRequests.request(op, request), REQUESTS,
                    Function.identity(), Function.identity(), leader, FORWARD_TIMEOUT);
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((reply, error) -> {
            if (error != null) {
                throw ForwardedRequests.unavailable("key-service leader " + leader + " unreachable: "
                        + unwrap(error).getMessage());
            }
            return ForwardedRequests.decodeReply(reply, parser);
        });
    }

    /** A request forwarded by another instance: answered by this instance's manager, never forwarded again. */
    private CompletableFuture<byte[]> handleForwarded(byte[] bytes) {
        LeaderRun r = run;
        if (r == null) {
            return CompletableFuture.completedFuture(ForwardedRequests.error(ForwardedRequests.unavailable(
                    "instance " + localNode + " is not the key-service leader; retry")));
        }
        CompletableFuture<byte[]> answer;
        try {
            answer = dispatch(r.manager(), ForwardedRequests.decodeRequest(bytes));
        } catch (InvalidProtocolBufferException e) {
            answer = CompletableFuture.failedFuture(Status.INVALID_ARGUMENT
                    .withDescription("forwarded request does not parse").asRuntimeException());
        } catch (RuntimeException e) {
            answer = CompletableFuture.failedFuture(e);
        }
        return answer.handle((ok, error) -> error == null ? ok : ForwardedRequests.error(unwrap(error)));
    }

    private static CompletableFuture<byte[]> dispatch(KeyServiceManager m, ForwardedRequests.Request q)
            throws InvalidProtocolBufferException {
        switch (q.op) {
            case CREATE:
                CreateKeyServiceRequest c = CreateKeyServiceRequest.parseFrom(q.message);
                return m.create(c.getSpec()).thenApply(s -> ForwardedRequests.ok(
                        CreateKeyServiceResponse.newBuilder().setService(s).build()));
            case MODIFY:
                ModifyKeyServiceRequest mo = ModifyKeyServiceRequest.parseFrom(q.message);
                return m.modify(mo.getServiceId(), mo.getQos(), mo.hasConstraints() ? mo.getConstraints() : null)
                        .thenApply(s -> ForwardedRequests.ok(ModifyKeyServiceResponse.newBuilder().setService(s).build()));
            case DELETE:
                DeleteKeyServiceRequest d = DeleteKeyServiceRequest.parseFrom(q.message);
                return m.delete(d.getServiceId())
                        .thenApply(v -> ForwardedRequests.ok(DeleteKeyServiceResponse.getDefaultInstance()));
            case QUERY_PATHS:
                QueryPathsRequest p = QueryPathsRequest.parseFrom(q.message);
                return m.queryPaths(p.getSpec()).thenApply(routes -> ForwardedRequests.ok(
                        QueryPathsResponse.newBuilder().addAllRoutes(routes).build()));
            case TOPOLOGY:
                return CompletableFuture.completedFuture(ForwardedRequests.ok(m.topologySnapshot()));
            default:
                throw Status.INVALID_ARGUMENT.withDescription("forwarded request: unknown operation").asRuntimeException();
        }
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }

    // ------------------------------------------------------------------ reads (any instance)

    @Override
    public Optional<KeyService> get(String serviceId) {
        Versioned<byte[]> v = services.get(serviceId);
        KeyService s = v == null ? null : parse(serviceId, v.value());
        return s == null || !setUp(s) ? Optional.empty() : Optional.of(s);
    }

    @Override
    public List<KeyService> list() {
        List<KeyService> out = new ArrayList<>();
        for (java.util.Map.Entry<String, Versioned<byte[]>> e : services.entrySet()) {
            KeyService s = parse(e.getKey(), e.getValue().value());
            if (s != null && setUp(s)) {
                out.add(s);
            }
        }
        out.sort(Comparator.comparing(KeyService::getServiceId));
        return out;
    }

    @Override
    public Optional<String> leader() {
        NodeId leader = leadershipService.getLeader(TOPIC);
        return leader == null ? Optional.empty() : Optional.of(leader.id());
    }

    @Override
    public void addListener(KeyServiceListener listener) {
        listeners.add(listener);
    }

    @Override
    public CompletableFuture<Void> subscribe(KeyServiceListener listener) {
        listeners.add(listener);
        try {
            for (KeyService s : list()) {
                listener.keyServiceChanged(s, false);
            }
        } catch (RuntimeException e) {  // the map unreachable (StorageException)
            listeners.remove(listener);
            return CompletableFuture.failedFuture(ForwardedRequests.unavailable("key services cannot be read: " + e));
        }
        return CompletableFuture.completedFuture(null);
    }

    @Override
    public CompletableFuture<Void> watchTopology(Consumer<WatchTopologyResponse> watcher) {
        return topologyWatches.watch(watcher, this::topology);
    }

    @Override
    public void unwatchTopology(Consumer<WatchTopologyResponse> watcher) {
        topologyWatches.unwatch(watcher);
    }

    @Override
    public void removeListener(KeyServiceListener listener) {
        listeners.remove(listener);
    }

    /** A PENDING record is the write-ahead of a setup not acknowledged yet: not a service to show. */
    private static boolean setUp(KeyService s) {
        return s.getState() != KeyServiceState.KEY_SERVICE_STATE_PENDING;
    }

    private static KeyService parse(String serviceId, byte[] bytes) {
        try {
            return KeyService.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
            log.error("key service {}: stored record does not parse; ignored", serviceId);
            return null;
        }
    }

    private void serviceMapChanged(MapEvent<String, byte[]> event) {
        boolean removed = event.type() == MapEvent.Type.REMOVE;
        Versioned<byte[]> v = removed ? event.oldValue() : event.newValue();
        KeyService s = v == null ? null : parse(event.key(), v.value());
        if (s == null || !setUp(s)) {
            return;
        }
        for (KeyServiceListener l : listeners) {
            try {
                l.keyServiceChanged(s, removed);
            } catch (RuntimeException e) {
                log.warn("key service listener {} failed", l, e);
            }
        }
    }
}

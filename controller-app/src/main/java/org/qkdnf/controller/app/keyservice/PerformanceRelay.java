package org.qkdnf.controller.app.keyservice;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

import com.google.protobuf.Timestamp;

import org.onosproject.cluster.NodeId;
import org.onosproject.store.cluster.messaging.ClusterCommunicationService;
import org.onosproject.store.cluster.messaging.MessageSubject;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.proto.southbound.v1.LinkPerformance;
import org.qkdnf.proto.southbound.v1.PerformanceReport;
import org.qkdnf.proto.southbound.v1.PhysPerf;

/**
 * Sends the key-service leader the performance figures this instance's agents report, so that it
 * can admit rate on every link. Reports are coalesced per link (the latest figure wins) and sent
 * every {@link #INTERVAL_MS} ms as one {@code PerformanceReport}, so the cluster traffic is bounded
 * by the number of links, not by the report rate. A new leader gets all current figures once.
 * Nothing is sent while this instance leads.
 *
 * <p>Threads: the topology listener only stores into {@code pending}; the {@code qkdnf-performance-relay}
 * thread drains and sends.
 */
final class PerformanceRelay implements AutoCloseable {

    static final MessageSubject SUBJECT = new MessageSubject("qkdnf-key-services-performance");
    /** Figures reach the leader at most this late; a fifth of a second against reports every second or more. */
    static final long INTERVAL_MS = 200;

    private final QkdTopologyService topology;
    private final ClusterCommunicationService messaging;
    private final NodeId localNode;
    private final Supplier<NodeId> leader;
    private final Map<String, LinkPerformance> pending = new ConcurrentHashMap<>();
    private final QkdTopologyListener listener = this::topologyChanged;
    /** Relay thread only. */
    private NodeId lastLeader;
    private final ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "qkdnf-performance-relay");
        t.setDaemon(true);
        return t;
    });

    PerformanceRelay(QkdTopologyService topology, ClusterCommunicationService messaging, NodeId localNode,
                     Supplier<NodeId> leader) {
        this.topology = topology;
        this.messaging = messaging;
        this.localNode = localNode;
        this.leader = leader;
        topology.addListener(listener);
        thread.scheduleWithFixedDelay(this::send, INTERVAL_MS, INTERVAL_MS, TimeUnit.MILLISECONDS);
    }

    private void topologyChanged(QkdTopologyEvent e) {
        if (e.type() == QkdTopologyEvent.Type.LINK_PERFORMANCE && e.link().isPresent()) {
            hold(e.link().get());
        }
    }

    private void hold(QkdLinkInfo l) {
        if (!l.hasPerformance()) {
            return;
        }
        pending.put(l.qkdlId(), LinkPerformance.newBuilder().setQkdlId(l.qkdlId()).setSkrBps(l.skrBps())
                .setEskrBps(l.eskrBps()).setPhysPerf(PhysPerf.newBuilder().setQber(l.qber()))
                .setKeyVolumeBits(l.keyVolumeBits())
                .setMeasuredAt(Timestamp.newBuilder().setSeconds(l.measuredAt().getEpochSecond())
                        .setNanos(l.measuredAt().getNano()))
                .build());
    }

    /** Relay thread only. A lost message is not retried: the next interval carries newer figures. */
    private void send() {
        NodeId to = leader.get();
        if (!Objects.equals(to, lastLeader)) {
            // A new leader knows none of this instance's figures yet: all of them, not only changes.
            lastLeader = to;
            topology.getLinks().forEach(this::hold);
        }
        if (pending.isEmpty()) {
            return;
        }
        List<LinkPerformance> batch = new ArrayList<>();
        for (String id : new ArrayList<>(pending.keySet())) {
            LinkPerformance p = pending.remove(id);
            if (p != null) {
                batch.add(p);
            }
        }
        if (to == null || to.equals(localNode)) {
            return;
        }
        try {
            messaging.unicast(PerformanceReport.newBuilder().addAllLinks(batch).build().toByteArray(), SUBJECT,
                    Function.identity(), to);
        } catch (RuntimeException e) {
            // The leader is unreachable now; its successor gets the next interval's figures.
        }
    }

    @Override
    public void close() {
        topology.removeListener(listener);
        thread.shutdownNow();
    }
}

package org.qkdnf.controller.app.keyservice;

import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyEvent;
import org.qkdnf.controller.api.QkdTopologyListener;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.proto.southbound.v1.LinkPerformance;

/**
 * The topology as the key-service leader sees it: this instance's topology, with the performance
 * figures that other instances relayed for links whose agents report to them (performance stays on
 * the instance that received it, so without this the leader would admit nothing on those links).
 * A relayed figure is used when it is newer than the local one; it changes figures only (SKR, QBER,
 * key volume and so the degraded flag), never an end's status, which the shared structure owns.
 *
 * <p>Threads: any. Relayed figures arrive on a messaging thread and are told to the listeners there
 * (the key-service manager's listener only queues).
 */
final class RelayedPerformanceTopology implements QkdTopologyService {

    private final QkdTopologyService local;
    private final Map<String, LinkPerformance> relayed = new ConcurrentHashMap<>();
    private final List<QkdTopologyListener> listeners = new CopyOnWriteArrayList<>();
    private final Map<QkdTopologyListener, QkdTopologyListener> wrapped = new ConcurrentHashMap<>();

    RelayedPerformanceTopology(QkdTopologyService local) {
        this.local = local;
    }

    /** Figures relayed by another instance: kept, and told to the listeners as LINK_PERFORMANCE. */
    void relayed(Collection<LinkPerformance> figures) {
        for (LinkPerformance p : figures) {
            relayed.merge(p.getQkdlId(), p, (old, now) -> measuredAt(now).isAfter(measuredAt(old)) ? now : old);
            Optional<QkdLinkInfo> l = local.getLink(p.getQkdlId());
            if (l.isPresent()) {
                QkdLinkInfo withFigures = overlay(l.get());
                if (withFigures != l.get()) {
                    QkdTopologyEvent e = QkdTopologyEvent.ofLink(QkdTopologyEvent.Type.LINK_PERFORMANCE, withFigures,
                            l.get());
                    listeners.forEach(x -> x.event(e));
                }
            }
        }
    }

    private QkdLinkInfo overlay(QkdLinkInfo l) {
        LinkPerformance p = relayed.get(l.qkdlId());
        if (p == null || l.nodeIdA() == null || (l.hasPerformance() && !measuredAt(p).isAfter(l.measuredAt()))) {
            return l;
        }
        return l.withPerformance(l.nodeIdA(), p.toBuilder().setQkdlStatus(l.statusA()).build(),
                local.settings().qberDegradedThreshold());
    }

    private static Instant measuredAt(LinkPerformance p) {
        return Instant.ofEpochSecond(p.getMeasuredAt().getSeconds(), p.getMeasuredAt().getNanos());
    }

    @Override
    public Collection<QkdNodeInfo> getNodes() {
        return local.getNodes();
    }

    @Override
    public Optional<QkdNodeInfo> getNode(String qkdnId) {
        return local.getNode(qkdnId);
    }

    @Override
    public Collection<QkdLinkInfo> getLinks() {
        List<QkdLinkInfo> out = new ArrayList<>();
        for (QkdLinkInfo l : local.getLinks()) {
            out.add(overlay(l));
        }
        return out;
    }

    @Override
    public Optional<QkdLinkInfo> getLink(String qkdlId) {
        return local.getLink(qkdlId).map(this::overlay);
    }

    @Override
    public ControllerSettings settings() {
        return local.settings();
    }

    @Override
    public void addListener(QkdTopologyListener listener) {
        QkdTopologyListener w = e -> listener.event(e.link().isPresent() && e.type() != QkdTopologyEvent.Type.LINK_REMOVED
                ? QkdTopologyEvent.ofLink(e.type(), overlay(e.link().get()), e.previousLink().orElse(null)) : e);
        wrapped.put(listener, w);
        listeners.add(listener);
        local.addListener(w);
    }

    @Override
    public void removeListener(QkdTopologyListener listener) {
        listeners.remove(listener);
        QkdTopologyListener w = wrapped.remove(listener);
        if (w != null) {
            local.removeListener(w);
        }
    }
}

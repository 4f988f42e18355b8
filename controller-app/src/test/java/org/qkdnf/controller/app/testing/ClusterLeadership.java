package org.qkdnf.controller.app.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import org.onosproject.cluster.Leader;
import org.onosproject.cluster.Leadership;
import org.onosproject.cluster.LeadershipEvent;
import org.onosproject.cluster.LeadershipEventListener;
import org.onosproject.cluster.LeadershipServiceAdapter;
import org.onosproject.cluster.NodeId;

/**
 * The leadership elections of one ONOS cluster, as ONOS runs them: the first candidate of a topic
 * leads, each new leader gets a higher term, and every instance's listeners hear of each change.
 * {@link #view} gives one instance's LeadershipService (onos-api's adapter); a test moves a
 * leadership with {@link #transfer}, and can keep an instance deaf to it (a leader that has not
 * heard of its demotion yet) with {@link #deafen}.
 *
 * <p>Threads: any; elections are synchronized, events are delivered on the calling thread.
 */
public final class ClusterLeadership {

    private final Map<String, List<NodeId>> candidates = new ConcurrentHashMap<>();
    private final Map<String, Leadership> leaderships = new ConcurrentHashMap<>();
    private final Map<NodeId, List<LeadershipEventListener>> listeners = new ConcurrentHashMap<>();
    private final Set<NodeId> deaf = ConcurrentHashMap.newKeySet();
    private long terms;

    public View view(NodeId node) {
        return new View(node);
    }

    /** Makes {@code node} the leader of {@code topic} with a new term (it must be a candidate). */
    public synchronized void transfer(String topic, NodeId node) {
        List<NodeId> c = candidates.get(topic);
        c.remove(node);
        c.add(0, node);
        elect(topic);
    }

    public synchronized Leadership leadership(String topic) {
        return leaderships.get(topic);
    }

    /** Events stop reaching {@code node}'s listeners (until {@link #hear}). */
    public void deafen(NodeId node) {
        deaf.add(node);
    }

    /** Events reach {@code node} again, starting with the current state of {@code topic}. */
    public void hear(NodeId node, String topic) {
        deaf.remove(node);
        Leadership l = leadership(topic);
        for (LeadershipEventListener x : listeners.getOrDefault(node, List.of())) {
            x.event(new LeadershipEvent(LeadershipEvent.Type.LEADER_AND_CANDIDATES_CHANGED, l));
        }
    }

    private synchronized void run(String topic, NodeId node) {
        List<NodeId> c = candidates.computeIfAbsent(topic, t -> new ArrayList<>());
        if (!c.contains(node)) {
            c.add(node);
        }
        if (leaderships.get(topic) == null || leaderships.get(topic).leader() == null) {
            elect(topic);
        }
    }

    private synchronized void withdraw(String topic, NodeId node) {
        List<NodeId> c = candidates.getOrDefault(topic, new ArrayList<>());
        c.remove(node);
        Leadership l = leaderships.get(topic);
        if (l != null && l.leader() != null && l.leader().nodeId().equals(node)) {
            elect(topic);
        }
    }

    private void elect(String topic) {
        List<NodeId> c = candidates.get(topic);
        Leader leader = c.isEmpty() ? null : new Leader(c.get(0), ++terms, System.currentTimeMillis());
        Leadership l = new Leadership(topic, leader, List.copyOf(c));
        leaderships.put(topic, l);
        LeadershipEvent e = new LeadershipEvent(LeadershipEvent.Type.LEADER_AND_CANDIDATES_CHANGED, l);
        listeners.forEach((node, ls) -> {
            if (!deaf.contains(node)) {
                ls.forEach(x -> x.event(e));
            }
        });
    }

    /** One instance's LeadershipService. */
    public final class View extends LeadershipServiceAdapter {
        private final NodeId node;

        View(NodeId node) {
            this.node = node;
        }

        @Override
        public Leadership getLeadership(String topic) {
            return leadership(topic);
        }

        @Override
        public NodeId getLeader(String topic) {
            Leadership l = leadership(topic);
            return l == null || l.leader() == null ? null : l.leader().nodeId();
        }

        @Override
        public Leadership runForLeadership(String topic) {
            run(topic, node);
            return leadership(topic);
        }

        @Override
        public void withdraw(String topic) {
            ClusterLeadership.this.withdraw(topic, node);
        }

        @Override
        public void addListener(LeadershipEventListener listener) {
            listeners.computeIfAbsent(node, n -> new CopyOnWriteArrayList<>()).add(listener);
        }

        @Override
        public void removeListener(LeadershipEventListener listener) {
            listeners.getOrDefault(node, List.of()).remove(listener);
        }
    }
}

package org.qkdnf.controller.app.testing;

import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

import org.onlab.packet.IpAddress;
import org.onosproject.cluster.ClusterEvent;
import org.onosproject.cluster.ClusterEventListener;
import org.onosproject.cluster.ClusterServiceAdapter;
import org.onosproject.cluster.ControllerNode;
import org.onosproject.cluster.DefaultControllerNode;
import org.onosproject.cluster.NodeId;

/** ONOS's ClusterServiceAdapter as one named instance of a cluster, whose events a test can post. */
public class TestClusterService extends ClusterServiceAdapter {

    private final ControllerNode local;
    private final List<ClusterEventListener> listeners = new CopyOnWriteArrayList<>();

    public TestClusterService(String instanceId) {
        local = node(instanceId);
    }

    public static ControllerNode node(String instanceId) {
        return new DefaultControllerNode(new NodeId(instanceId), IpAddress.valueOf("127.0.0.1"));
    }

    @Override
    public ControllerNode getLocalNode() {
        return local;
    }

    @Override
    public void addListener(ClusterEventListener listener) {
        listeners.add(listener);
    }

    @Override
    public void removeListener(ClusterEventListener listener) {
        listeners.remove(listener);
    }

    public void post(ClusterEvent event) {
        listeners.forEach(l -> l.event(event));
    }
}

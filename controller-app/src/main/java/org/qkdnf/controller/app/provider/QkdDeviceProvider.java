package org.qkdnf.controller.app.provider;

import java.util.Optional;

import org.onosproject.net.DeviceId;
import org.onosproject.net.MastershipRole;
import org.onosproject.net.PortNumber;
import org.onosproject.net.device.DeviceAdminService;
import org.onosproject.net.device.DeviceProvider;
import org.onosproject.net.device.DeviceProviderService;
import org.onosproject.net.provider.AbstractProvider;
import org.qkdnf.controller.api.QkdNodeInfo;
import org.qkdnf.controller.api.QkdTopologyService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * QKD nodes as ONOS devices. The controller, not ONOS, talks to the nodes (over Sq), so there is
 * nothing to probe or switch: a probe re-publishes the node, a role change is acknowledged as asked,
 * and port state cannot be changed from ONOS.
 *
 * <p>Threads: {@code service} is set once after registration by the publisher's thread, before
 * any event is published; ONOS may call the provider methods from any thread.
 */
final class QkdDeviceProvider extends AbstractProvider implements DeviceProvider {

    private static final Logger log = LoggerFactory.getLogger(QkdDeviceProvider.class);

    private final QkdTopologyService topology;
    private final DeviceAdminService admin;
    private volatile DeviceProviderService service;

    QkdDeviceProvider(QkdTopologyService topology, DeviceAdminService admin) {
        super(QkdDescriptions.PROVIDER_ID);
        this.topology = topology;
        this.admin = admin;
    }

    void attach(DeviceProviderService s) {
        service = s;
    }

    void publish(QkdNodeInfo n) {
        DeviceId id = QkdDescriptions.deviceId(n.qkdnId());
        service.deviceConnected(id, QkdDescriptions.device(n));
        service.updatePorts(id, QkdDescriptions.ports(n));
    }

    /**
     * A node removed from the QKD topology: its device goes offline, then is deleted from ONOS's
     * store (a provider service cannot delete a device; ONOS's own providers ask the admin service).
     */
    void remove(String qkdnId) {
        DeviceId id = QkdDescriptions.deviceId(qkdnId);
        service.deviceDisconnected(id);
        admin.removeDevice(id);
    }

    @Override
    public void triggerProbe(DeviceId deviceId) {
        node(deviceId).ifPresent(this::publish);
    }

    @Override
    public void roleChanged(DeviceId deviceId, MastershipRole newRole) {
        service.receivedRoleReply(deviceId, newRole, newRole);
    }

    @Override
    public boolean isReachable(DeviceId deviceId) {
        return node(deviceId).map(QkdNodeInfo::agentConnected).orElse(false);
    }

    @Override
    public void changePortState(DeviceId deviceId, PortNumber portNumber, boolean enable) {
        log.warn("{}/{}: QKD interfaces are enabled and disabled by their agents, not from ONOS", deviceId, portNumber);
    }

    private Optional<QkdNodeInfo> node(DeviceId deviceId) {
        String uri = deviceId.toString();
        String prefix = QkdDescriptions.PROVIDER_ID.scheme() + ":";
        return uri.startsWith(prefix) ? topology.getNode(uri.substring(prefix.length())) : Optional.empty();
    }
}

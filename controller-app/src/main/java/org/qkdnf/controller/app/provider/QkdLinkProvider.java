package org.qkdnf.controller.app.provider;

import org.onosproject.net.link.LinkDescription;
import org.onosproject.net.link.LinkProvider;
import org.onosproject.net.link.LinkProviderService;
import org.onosproject.net.provider.AbstractProvider;
import org.qkdnf.controller.api.QkdLinkInfo;

/**
 * QKD links as ONOS links: present (both directions) while the QKD link is ACTIVE and not degraded,
 * so ONOS's path services route only over links that carry key; vanished otherwise.
 *
 * <p>Threads: {@code service} is set once after registration by the publisher's thread, before any
 * event is published.
 */
final class QkdLinkProvider extends AbstractProvider implements LinkProvider {

    private volatile LinkProviderService service;

    QkdLinkProvider() {
        super(QkdDescriptions.PROVIDER_ID);
    }

    void attach(LinkProviderService s) {
        service = s;
    }

    void publish(QkdLinkInfo l) {
        boolean up = QkdDescriptions.usable(l);
        for (LinkDescription d : QkdDescriptions.links(l)) {
            if (up) {
                service.linkDetected(d);
            } else {
                service.linkVanished(d);
            }
        }
    }

    /** Every ONOS link of a node's device. */
    void removeAll(String qkdnId) {
        service.linksVanished(QkdDescriptions.deviceId(qkdnId));
    }

    void remove(QkdLinkInfo last) {
        for (LinkDescription d : QkdDescriptions.links(last)) {
            service.linkVanished(d);
        }
    }
}

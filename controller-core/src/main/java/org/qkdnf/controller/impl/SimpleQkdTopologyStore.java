package org.qkdnf.controller.impl;

import org.qkdnf.controller.api.ControllerSettings;
import org.qkdnf.controller.api.QkdLinkInfo;
import org.qkdnf.controller.api.QkdNodeInfo;

/**
 * In-memory topology store (like ONOS's Simple*Store): nothing survives the process. Used by unit
 * tests and by hosts that want no persistence. Thread-safe (see {@link AbstractQkdTopologyStore}).
 */
public final class SimpleQkdTopologyStore extends AbstractQkdTopologyStore {

    @Override
    protected void persistNode(String qkdnId, QkdNodeInfo node) {
        // in memory only
    }

    @Override
    protected void persistLink(String qkdlId, QkdLinkInfo link) {
        // in memory only
    }

    @Override
    protected void persistSettings(ControllerSettings settings) {
        // in memory only
    }
}

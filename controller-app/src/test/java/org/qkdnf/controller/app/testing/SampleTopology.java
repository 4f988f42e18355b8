package org.qkdnf.controller.app.testing;

import static org.qkdnf.controller.testing.TestTopology.linkEnd;
import static org.qkdnf.controller.testing.TestTopology.node;
import static org.qkdnf.controller.testing.TestTopology.perf;

import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.impl.SimpleQkdTopologyStore;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * A small topology for output tests: nodes A, B, C; link AB reported by both ends, ACTIVE, with
 * figures and a QBER above the default threshold (degraded); link BC reported by B only (PENDING).
 */
public final class SampleTopology {

    public static final String A = "a0000000-0000-4000-8000-00000000000a";
    public static final String B = "b0000000-0000-4000-8000-00000000000b";
    public static final String C = "c0000000-0000-4000-8000-00000000000c";
    public static final String AB = "ab000000-0000-4000-8000-0000000000ab";
    public static final String BC = "bc000000-0000-4000-8000-0000000000bc";

    private SampleTopology() {
    }

    /** The caller closes it. */
    public static QkdTopologyManager create() {
        QkdTopologyManager m = new QkdTopologyManager(new SimpleQkdTopologyStore());
        m.applyInventory(node(A, linkEnd(AB, A, B, QkdlStatus.QKDL_STATUS_ACTIVE)));
        m.applyInventory(node(B, linkEnd(AB, B, A, QkdlStatus.QKDL_STATUS_ACTIVE),
                linkEnd(BC, B, C, QkdlStatus.QKDL_STATUS_ACTIVE)));
        m.applyInventory(node(C));
        m.setAgentConnected(C, false);
        m.applyPerformance(A, perf(AB, QkdlStatus.QKDL_STATUS_ACTIVE, 1500.0, 0.09));
        return m;
    }
}

package org.qkdnf.bench.sq;

import org.qkdnf.controller.api.QkdTopologyService;

/** The controller a load run drives: where agents connect and where the latency probe listens. */
interface ControllerUnderTest extends AutoCloseable {

    /** Port of the Sq server on 127.0.0.1. */
    int sqPort();

    QkdTopologyService topology();

    /** One line for the report: which host and threading this is. */
    String describe();

    @Override
    void close();
}

package org.qkdnf.bench.sq;

import java.io.IOException;
import java.nio.file.Path;

import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.standalone.StandaloneController;
import org.qkdnf.controller.standalone.StandaloneControllerConfig;

/** The stock standalone controller, exactly as shipped (mTLS, 127.0.0.1, ephemeral port). */
final class StandaloneTarget implements ControllerUnderTest {

    private final StandaloneController controller;

    StandaloneTarget(TlsFiles tls, Path dataDir) throws IOException {
        this.controller = StandaloneController.start(StandaloneControllerConfig.builder()
                .sqHost("127.0.0.1").sqPort(0).tls(tls).dataDir(dataDir).build());
    }

    @Override
    public int sqPort() {
        return controller.sqPort();
    }

    @Override
    public QkdTopologyService topology() {
        return controller.topologyService();
    }

    @Override
    public String describe() {
        return "stock StandaloneController (Netty default event loops, SqServerFactory bounded call executor)";
    }

    @Override
    public void close() {
        controller.close();
    }
}

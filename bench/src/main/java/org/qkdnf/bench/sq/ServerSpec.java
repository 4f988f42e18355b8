package org.qkdnf.bench.sq;

import java.io.IOException;
import java.nio.file.Path;

import org.qkdnf.common.tls.TlsFiles;

/**
 * Which controller a run drives: the stock {@code StandaloneController}, or the
 * {@link TunedSqTarget} experiment with its event-loop and call-executor sizes.
 *
 * @param stock       true for the stock host (the other fields are then ignored)
 * @param eventLoops  tuned only: Netty server threads, >= 1
 * @param callThreads tuned only: 0 runs handlers on the event loop, else the executor's size
 */
public record ServerSpec(boolean stock, int eventLoops, int callThreads) {

    public static final ServerSpec STOCK = new ServerSpec(true, 0, 0);

    public ServerSpec {
        if (!stock && (eventLoops < 1 || callThreads < 0)) {
            throw new IllegalArgumentException("tuned server: event loops must be >= 1, call threads >= 0");
        }
    }

    ControllerUnderTest start(TlsFiles tls, Path dataDir) throws IOException {
        return stock ? new StandaloneTarget(tls, dataDir) : new TunedSqTarget(tls, dataDir, eventLoops, callThreads);
    }
}

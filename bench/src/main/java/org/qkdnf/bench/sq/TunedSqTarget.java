package org.qkdnf.bench.sq;

import java.io.IOException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import io.grpc.Server;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdTopologyService;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.controller.impl.PendingCommands;
import org.qkdnf.controller.impl.QkdTopologyManager;
import org.qkdnf.controller.sq.QuantumLayerGrpcService;
import org.qkdnf.controller.sq.SqServerFactory;
import org.qkdnf.controller.standalone.MvStoreQkdTopologyStore;

/**
 * An experiment, not a product: the same parts as {@code StandaloneController} (MVStore store,
 * topology manager, command dispatcher, Sq service behind the identity interceptor, built by
 * {@link SqServerFactory}) but with the server's threading chosen by the run: its own Netty event
 * loops of a given size, and either a bounded call executor of a given size or none at all (the
 * handlers then run on the event loop that read the message, saving two thread hand-offs per
 * message). Running without an executor blocks an event loop while an inventory is made durable:
 * harmless in this benchmark (inventories arrive only while connecting), not safe as a default.
 * It shows what the stock host could gain by exposing these knobs.
 *
 * <p>Threads: built and closed by the driver's thread.
 */
final class TunedSqTarget implements ControllerUnderTest {

    private static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

    private final MvStoreQkdTopologyStore store;
    private final QkdTopologyManager manager;
    private final ScheduledExecutorService scheduler;
    private final QuantumLayerGrpcService service;
    private final ExecutorService callExecutor; // null: direct
    private final EventLoopGroup eventLoops;
    private final Server server;
    private final String description;

    /**
     * @param eventLoopThreads Netty threads accepting and serving agent connections
     * @param callThreads      0 for handlers on the event loop, else the bounded executor's size
     */
    TunedSqTarget(TlsFiles tls, Path dataDir, int eventLoopThreads, int callThreads) throws IOException {
        store = MvStoreQkdTopologyStore.open(dataDir.resolve(MvStoreQkdTopologyStore.FILE_NAME));
        manager = new QkdTopologyManager(store);
        scheduler = PendingCommands.newTimeoutScheduler("bench-cmd-timeouts");
        CommandDispatcher commands = new CommandDispatcher(scheduler, manager::settings, Clock.systemUTC());
        service = new QuantumLayerGrpcService(manager, commands, "bench-controller");
        callExecutor = callThreads == 0 ? null : SqServerFactory.newBoundedExecutor(callThreads, 65_536);
        Executor executor = callExecutor == null ? Runnable::run : callExecutor;
        eventLoops = new NioEventLoopGroup(eventLoopThreads, new DefaultThreadFactory("bench-sq-server-io", true));
        server = SqServerFactory.serverBuilder("127.0.0.1", 0, tls, service, executor)
                .bossEventLoopGroup(eventLoops).workerEventLoopGroup(eventLoops)
                .channelType(NioServerSocketChannel.class)
                .build().start();
        description = "tuned Sq server: " + eventLoopThreads + " event loop thread(s), "
                + (callThreads == 0 ? "handlers on the event loop (direct executor)" : callThreads + " call thread(s)");
    }

    @Override
    public int sqPort() {
        return server.getPort();
    }

    @Override
    public QkdTopologyService topology() {
        return manager;
    }

    @Override
    public String describe() {
        return description;
    }

    @Override
    public void close() {
        service.closeAll();
        SqServerFactory.shutdown(server, SHUTDOWN_WAIT);
        if (callExecutor != null) {
            callExecutor.shutdown();
        }
        scheduler.shutdownNow();
        eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        manager.close();
        store.close();
    }
}

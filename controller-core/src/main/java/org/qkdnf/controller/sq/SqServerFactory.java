package org.qkdnf.controller.sq;

import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

import io.grpc.Server;
import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.PeerIdentityInterceptor;
import org.qkdnf.common.tls.TlsFiles;

/**
 * Builds the Sq server the same way for every host (standalone main, ONOS component): Netty with
 * mutual TLS, the peer-identity interceptor admitting only role {@value #AGENT_ROLE}, keepalive,
 * bounded message size, and a bounded executor.
 */
public final class SqServerFactory {

    /** Certificate OU of qkd-agents. */
    public static final String AGENT_ROLE = "qkd-node";
    /** Server pings an idle connection this often so dead agents are noticed (and NATs stay open). */
    public static final Duration KEEPALIVE_TIME = Duration.ofSeconds(20);
    public static final Duration KEEPALIVE_TIMEOUT = Duration.ofSeconds(10);
    /** Agents may ping this often, no more (a stream is long-lived and otherwise quiet between reports). */
    public static final Duration PERMIT_KEEPALIVE_TIME = Duration.ofSeconds(5);
    /** An inventory of a large node is the biggest message; 4 MiB leaves ample room. */
    public static final int MAX_INBOUND_MESSAGE_BYTES = 4 * 1024 * 1024;

    private SqServerFactory() {
    }

    /**
     * The call executor: a fixed pool whose queue is bounded so that a flood cannot grow the heap
     * without limit; when it is full the caller (a Netty event loop) runs the task, which pushes
     * back on the sockets instead of dropping messages. Handlers never block on I/O except the
     * durable store's commit on inventory changes.
     */
    public static ThreadPoolExecutor newBoundedExecutor(int threads, int queueCapacity) {
        AtomicInteger n = new AtomicInteger();
        ThreadPoolExecutor executor = new ThreadPoolExecutor(threads, threads, 60, TimeUnit.SECONDS,
                new ArrayBlockingQueue<>(queueCapacity), r -> {
                    Thread t = new Thread(r, "sq-call-" + n.incrementAndGet());
                    t.setDaemon(true);
                    return t;
                }, new ThreadPoolExecutor.CallerRunsPolicy());
        return executor;
    }

    /** The default pool: two threads per core, at least four. */
    public static ThreadPoolExecutor newBoundedExecutor() {
        return newBoundedExecutor(Math.max(4, 2 * Runtime.getRuntime().availableProcessors()), 65_536);
    }

    /** The Sq service wrapped in the identity interceptor (role {@value #AGENT_ROLE} only). */
    public static ServerServiceDefinition interceptedService(QuantumLayerGrpcService service) {
        return ServerInterceptors.intercept(service, new PeerIdentityInterceptor(Set.of(AGENT_ROLE)));
    }

    /**
     * A server builder bound to {@code host:port} (port 0: ephemeral) with mTLS and the Sq
     * service; the caller may add services (health, reflection) and then {@code build().start()}.
     */
    public static NettyServerBuilder serverBuilder(String host, int port, TlsFiles tls,
                                                   QuantumLayerGrpcService service,
                                                   java.util.concurrent.Executor executor) {
        return NettyServerBuilder.forAddress(new InetSocketAddress(host, port), GrpcTls.serverCredentials(tls))
                .executor(executor)
                .keepAliveTime(KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .keepAliveTimeout(KEEPALIVE_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveTime(PERMIT_KEEPALIVE_TIME.toMillis(), TimeUnit.MILLISECONDS)
                .permitKeepAliveWithoutCalls(true)
                .maxInboundMessageSize(MAX_INBOUND_MESSAGE_BYTES)
                .addService(interceptedService(service));
    }

    /** Graceful stop: refuse new calls, wait up to {@code wait}, then cut the rest. */
    public static void shutdown(Server server, Duration wait) {
        server.shutdown();
        try {
            if (!server.awaitTermination(wait.toMillis(), TimeUnit.MILLISECONDS)) {
                server.shutdownNow();
                server.awaitTermination(2, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            server.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}

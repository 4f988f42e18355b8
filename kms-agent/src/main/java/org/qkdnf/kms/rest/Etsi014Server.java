package org.qkdnf.kms.rest;

import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;

import javax.net.ssl.SSLException;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.group.ChannelGroup;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.handler.codec.http.HttpObjectAggregator;
import io.netty.handler.codec.http.HttpServerCodec;
import io.netty.handler.codec.http.HttpServerKeepAliveHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.timeout.IdleStateHandler;
import io.netty.util.concurrent.DefaultEventExecutorGroup;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.EventExecutorGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.api.KeyDeliveryService;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * ETSI GS QKD 014 over HTTPS on Netty: TLS 1.2/1.3 with a client certificate required and checked
 * against the provider's CA, HTTP/1.1 keep-alive. The SAE's identity is its certificate's subject
 * (CN the SAE id, OU {@code sae}).
 *
 * <p>Threads: Netty's event loops (one per core) do TLS and HTTP, and answer on the spot what
 * needs no disk or network ({@link InlineKeyDelivery}: status and keys ready in memory); every
 * other request is handed to a separate pool of {@code workerThreads}, because serving it may wait
 * for durable storage or another key manager and must not stall the connections sharing an event
 * loop. TLS is BoringSSL when netty-tcnative is on the class path, else the JDK's (Netty's choice).
 */
public final class Etsi014Server implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(Etsi014Server.class);
    /** A request body bigger than this is refused: 014 bodies are a few kB at most. */
    static final int MAX_BODY_BYTES = 256 * 1024;
    private static final int IDLE_SECONDS = 300;

    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final EventExecutorGroup blocking;
    private final Channel channel;
    private final ChannelGroup connections;

    private Etsi014Server(EventLoopGroup boss, EventLoopGroup workers, EventExecutorGroup blocking, Channel channel,
                          ChannelGroup connections) {
        this.boss = boss;
        this.workers = workers;
        this.blocking = blocking;
        this.channel = channel;
        this.connections = connections;
    }

    /**
     * Binds and starts serving.
     *
     * @param address       where to listen (port 0: any free port)
     * @param tls           the KME's certificate and key, and the CA that signs SAE certificates
     * @param keys          the key delivery behind the interface
     * @param workerThreads threads that run requests
     */
    public static Etsi014Server start(InetSocketAddress address, TlsFiles tls, KeyDeliveryService keys,
                                      int workerThreads) throws InterruptedException, SSLException {
        return start(address, tls, keys, null, workerThreads);
    }

    /**
     * Binds and starts serving, answering on the network threads what {@code inline} answers from
     * memory.
     *
     * @param inline        answers that never block, or {@code null} for none
     */
    public static Etsi014Server start(InetSocketAddress address, TlsFiles tls, KeyDeliveryService keys,
                                      InlineKeyDelivery inline, int workerThreads)
            throws InterruptedException, SSLException {
        tls.requireReadable();
        SslContext ssl = SslContextBuilder.forServer(tls.certificateChain().toFile(), tls.privateKey().toFile())
                .trustManager(tls.trustedCa().toFile())
                .clientAuth(ClientAuth.REQUIRE)
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
        Etsi014Api api = new Etsi014Api(keys, inline);
        // Named, so that a profile or a thread dump tells the KME's threads from others in the JVM.
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, new DefaultThreadFactory("etsi014-accept"),
                NioIoHandler.newFactory());
        // One event loop per core, not Netty's default of two: the loops never block (what might is
        // handed to `blocking`), so more loops than cores only add context switches to the tail.
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(Runtime.getRuntime().availableProcessors(),
                new DefaultThreadFactory("etsi014-io"), NioIoHandler.newFactory());
        EventExecutorGroup blocking = new DefaultEventExecutorGroup(workerThreads,
                new DefaultThreadFactory("etsi014-blocking"));
        ChannelGroup connections = new DefaultChannelGroup("etsi014", GlobalEventExecutor.INSTANCE);
        try {
            Channel ch = new ServerBootstrap()
                    .group(boss, workers)
                    .channel(NioServerSocketChannel.class)
                    .option(ChannelOption.SO_BACKLOG, 1024)
                    .childOption(ChannelOption.TCP_NODELAY, true)
                    .childHandler(new ChannelInitializer<SocketChannel>() {
                        @Override
                        protected void initChannel(SocketChannel c) {
                            connections.add(c);
                            ChannelPipeline p = c.pipeline();
                            p.addLast("tls", ssl.newHandler(c.alloc()));
                            p.addLast("idle", new IdleStateHandler(0, 0, IDLE_SECONDS));
                            p.addLast("http", new HttpServerCodec());
                            p.addLast("keep-alive", new HttpServerKeepAliveHandler());
                            p.addLast("aggregate", new HttpObjectAggregator(MAX_BODY_BYTES));
                            p.addLast("etsi014", new Etsi014Handler(api, blocking));
                        }
                    })
                    .bind(address).sync().channel();
            log.info("ETSI GS QKD 014 interface on https://{}:{}{} (TLS: {})", address.getHostString(),
                    ((InetSocketAddress) ch.localAddress()).getPort(), Etsi014Api.PREFIX,
                    SslContext.defaultServerProvider());
            return new Etsi014Server(boss, workers, blocking, ch, connections);
        } catch (InterruptedException | RuntimeException e) {
            boss.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            workers.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            blocking.shutdownGracefully(0, 0, TimeUnit.SECONDS);
            throw e;
        }
    }

    public int port() {
        return ((InetSocketAddress) channel.localAddress()).getPort();
    }

    @Override
    public void close() {
        // Listener, then open connections (their handlers run on `blocking`), then the threads.
        channel.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        connections.close().awaitUninterruptibly(5, TimeUnit.SECONDS);
        boss.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        workers.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        blocking.shutdownGracefully(0, 2, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
    }
}

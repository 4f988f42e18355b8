package org.qkdnf.controller.app.impl;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import io.grpc.Server;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.controller.sq.QuantumLayerGrpcService;
import org.qkdnf.controller.sq.SqServerFactory;

/**
 * One running Sq server (mTLS gRPC, built by the core's {@link SqServerFactory}) with its agent
 * sessions and call executor. A new configuration means a new endpoint: agents reconnect to it.
 *
 * <p>Threads: started and closed by one thread (the component's SCR thread); {@link #port()} may
 * be read from any thread.
 */
final class SqEndpoint implements AutoCloseable {

    /** Agents get this long to finish in-flight calls when the server stops. */
    static final Duration SHUTDOWN_WAIT = Duration.ofSeconds(5);

    private final QuantumLayerGrpcService service;
    private final ThreadPoolExecutor executor;
    private final Server server;
    private org.qkdnf.controller.km.KeyManagementGrpcService skService; // null without key management

    private SqEndpoint(QuantumLayerGrpcService service, ThreadPoolExecutor executor, Server server) {
        this.service = service;
        this.executor = executor;
        this.server = server;
    }

    /** Sq only (no key management). */
    static SqEndpoint start(String address, int port, TlsFiles tls, String controllerId,
                            QkdTopologyAdminService topology, CommandDispatcher commands) throws IOException {
        return start(address, port, tls, controllerId, topology, commands, null, null);
    }

    /**
     * Binds and starts the server, with Sk and the key-route northbound when {@code keyManagement}
     * is given and Nc when {@code keyServices} is.
     *
     * @throws IOException when the port cannot be bound or the TLS files cannot be loaded (the
     *         message names the file or the address)
     */
    static SqEndpoint start(String address, int port, TlsFiles tls, String controllerId,
                            QkdTopologyAdminService topology, CommandDispatcher commands,
                            org.qkdnf.controller.km.KeyManagementManager keyManagement,
                            org.qkdnf.controller.app.keyservice.KeyServicesService keyServices) throws IOException {
        QuantumLayerGrpcService service = new QuantumLayerGrpcService(topology, commands, controllerId);
        ThreadPoolExecutor executor = SqServerFactory.newBoundedExecutor();
        try {
            io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder builder =
                    SqServerFactory.serverBuilder(address, port, tls, service, executor);
            org.qkdnf.controller.km.KeyManagementGrpcService sk = null;
            if (keyManagement != null) {
                // Sk (role kms) and the key-route northbound (roles controller, operator) on the same
                // port; each service has its own identity interceptor.
                sk = new org.qkdnf.controller.km.KeyManagementGrpcService(keyManagement, controllerId);
                builder.addService(org.qkdnf.controller.km.SkServerFactory.interceptedService(sk))
                        .addService(org.qkdnf.controller.km.SkServerFactory.interceptedAdmin(
                                new org.qkdnf.controller.km.KeyRouteAdminGrpcService(keyManagement)));
            }
            if (keyServices != null) {
                // Nc (roles controller, operator) on the same port, as the standalone controller serves it.
                builder.addService(org.qkdnf.controller.keyservice.KeyServiceGrpcService.intercepted(
                        new org.qkdnf.controller.keyservice.KeyServiceGrpcService(keyServices)));
            }
            Server server = builder.build().start();
            SqEndpoint endpoint = new SqEndpoint(service, executor, server);
            endpoint.skService = sk;
            return endpoint;
        } catch (UncheckedIOException e) {
            executor.shutdownNow();
            throw e.getCause();  // TLS material that cannot be loaded; the message names the file
        } catch (IllegalArgumentException e) {
            executor.shutdownNow();
            throw new IOException(e.getMessage(), e);  // a TLS file that is not readable, named
        } catch (IOException e) {
            executor.shutdownNow();
            throw new IOException("cannot listen on " + address + ":" + port + ": " + e.getMessage(), e);
        } catch (RuntimeException e) {
            executor.shutdownNow();
            throw e;
        }
    }

    /** The bound port (the ephemeral one when 0 was asked). */
    int port() {
        return ((InetSocketAddress) server.getListenSockets().get(0)).getPort();
    }

    int connectedAgents() {
        return service.connectedAgents();
    }

    /** Closes agent streams, drains the server (bounded by {@link #SHUTDOWN_WAIT}), stops the executor. */
    @Override
    public void close() {
        service.closeAll();
        if (skService != null) {
            skService.closeAll();
        }
        SqServerFactory.shutdown(server, SHUTDOWN_WAIT);
        executor.shutdown();
        try {
            if (!executor.awaitTermination(2, TimeUnit.SECONDS)) {
                executor.shutdownNow();
            }
        } catch (InterruptedException e) {
            executor.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}

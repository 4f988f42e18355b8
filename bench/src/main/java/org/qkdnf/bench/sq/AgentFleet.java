package org.qkdnf.bench.sq;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import io.grpc.ManagedChannel;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.netty.shaded.io.netty.channel.EventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioSocketChannel;
import io.grpc.netty.shaded.io.netty.util.concurrent.DefaultThreadFactory;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/**
 * The simulated agents of a run: one mTLS channel (one TCP connection, one certificate) and one
 * Sq stream per node, all channels sharing one small Netty event-loop group and delivering their
 * few callbacks directly on it, so that 1,000+ agents cost a handful of threads, not thousands.
 *
 * <p>Threads: built, connected and closed by the driver's thread; {@link #agents()} are then
 * handed to pacer threads (see {@link SimulatedAgent}).
 */
final class AgentFleet implements AutoCloseable {

    private final EventLoopGroup eventLoops;
    private final List<ManagedChannel> channels = new ArrayList<>();
    private final List<SimulatedAgent> agents = new ArrayList<>();

    /** @param eventLoopThreads Netty threads shared by every agent channel */
    AgentFleet(int eventLoopThreads) {
        this.eventLoops = new NioEventLoopGroup(eventLoopThreads, new DefaultThreadFactory("bench-agent-io", true));
    }

    List<SimulatedAgent> agents() {
        return agents;
    }

    /**
     * Connects one agent per node of {@code topology}: certificate, channel, Hello, wait for every
     * HelloAck, then every inventory.
     */
    void connect(RingTopology topology, BenchPki pki, String host, int port, long timeoutSeconds)
            throws InterruptedException, TimeoutException, ExecutionException {
        for (int i = 0; i < topology.nodeCount(); i++) {
            SimulatedAgent agent = new SimulatedAgent(topology, i);
            ManagedChannel channel = NettyChannelBuilder
                    .forAddress(host, port, GrpcTls.channelCredentials(pki.agent(agent.qkdnId())))
                    .eventLoopGroup(eventLoops)
                    .channelType(NioSocketChannel.class)
                    .directExecutor() // callbacks only complete futures: no need for another pool
                    .build();
            channels.add(channel);
            agent.open(QuantumLayerServiceGrpc.newStub(channel));
            agents.add(agent);
        }
        CompletableFuture.allOf(agents.stream().map(SimulatedAgent::helloAck).toArray(CompletableFuture[]::new))
                .get(timeoutSeconds, TimeUnit.SECONDS);
        for (SimulatedAgent a : agents) {
            a.sendInventory();
        }
    }

    /** Streams that have ended (with any status) so far. */
    long endedStreams() {
        return agents.stream().filter(a -> a.ended().isDone()).count();
    }

    @Override
    public void close() throws InterruptedException {
        for (SimulatedAgent a : agents) {
            a.close();
        }
        for (ManagedChannel c : channels) {
            c.shutdown();
        }
        for (ManagedChannel c : channels) {
            if (!c.awaitTermination(5, TimeUnit.SECONDS)) {
                c.shutdownNow();
            }
        }
        eventLoops.shutdownGracefully(0, 2, TimeUnit.SECONDS).await(5, TimeUnit.SECONDS);
    }
}

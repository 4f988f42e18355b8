package org.qkdnf.controller.app.testing;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import org.onosproject.cluster.NodeId;
import org.onosproject.store.cluster.messaging.ClusterCommunicationServiceAdapter;
import org.onosproject.store.cluster.messaging.MessageSubject;

/**
 * The messaging of one ONOS cluster: {@link #view} gives an instance's ClusterCommunicationService
 * (onos-api's adapter) whose sendAndReceive reaches the subscriber of another instance's view. As
 * between real instances, only bytes cross (encoded by the sender's encoder, decoded by the
 * receiver's decoder), and answers come back on another thread.
 *
 * <p>Threads: any.
 */
public final class ClusterMessaging implements AutoCloseable {

    private final Map<NodeId, Map<MessageSubject, Function<byte[], CompletableFuture<byte[]>>>> handlers =
            new ConcurrentHashMap<>();
    private final ExecutorService network = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "test-cluster-messaging");
        t.setDaemon(true);
        return t;
    });

    public ClusterCommunicationServiceAdapter view(NodeId node) {
        return new ClusterCommunicationServiceAdapter() {
            @Override
            public <M, R> void addSubscriber(MessageSubject subject, Function<byte[], M> decoder,
                                             Function<M, CompletableFuture<R>> handler, Function<R, byte[]> encoder) {
                handlers.computeIfAbsent(node, n -> new ConcurrentHashMap<>())
                        .put(subject, bytes -> handler.apply(decoder.apply(bytes)).thenApply(encoder));
            }

            @Override
            public <M> void addSubscriber(MessageSubject subject, Function<byte[], M> decoder,
                                          java.util.function.Consumer<M> handler, java.util.concurrent.Executor executor) {
                handlers.computeIfAbsent(node, n -> new ConcurrentHashMap<>()).put(subject, bytes -> {
                    executor.execute(() -> handler.accept(decoder.apply(bytes)));
                    return CompletableFuture.completedFuture(new byte[0]);
                });
            }

            @Override
            public <M> CompletableFuture<Void> unicast(M message, MessageSubject subject, Function<M, byte[]> encoder,
                                                       NodeId toNodeId) {
                Function<byte[], CompletableFuture<byte[]>> h = handlers.getOrDefault(toNodeId, Map.of()).get(subject);
                if (h == null) {
                    return CompletableFuture.failedFuture(new IllegalStateException("no handler for " + subject
                            + " on " + toNodeId));
                }
                byte[] bytes = encoder.apply(message);
                return CompletableFuture.runAsync(() -> h.apply(bytes), network);
            }

            /** Handed to every other instance's subscriber at once, so its executor keeps the sender's order. */
            @Override
            public <M> void broadcast(M message, MessageSubject subject, Function<M, byte[]> encoder) {
                byte[] bytes = encoder.apply(message);
                handlers.forEach((to, subjects) -> {
                    Function<byte[], CompletableFuture<byte[]>> h = subjects.get(subject);
                    if (!to.equals(node) && h != null) {
                        h.apply(bytes);
                    }
                });
            }

            @Override
            public void removeSubscriber(MessageSubject subject) {
                handlers.getOrDefault(node, Map.of()).remove(subject);
            }

            @Override
            public <M, R> CompletableFuture<R> sendAndReceive(M message, MessageSubject subject,
                                                             Function<M, byte[]> encoder, Function<byte[], R> decoder,
                                                             NodeId toNodeId, Duration timeout) {
                Function<byte[], CompletableFuture<byte[]>> h = handlers.getOrDefault(toNodeId, Map.of()).get(subject);
                if (h == null) {
                    return CompletableFuture.failedFuture(new IllegalStateException("no handler for " + subject
                            + " on " + toNodeId));
                }
                byte[] bytes = encoder.apply(message);
                return CompletableFuture.supplyAsync(() -> h.apply(bytes), network)
                        .thenCompose(f -> f)
                        .orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS)
                        .thenApplyAsync(decoder, network);
            }
        };
    }

    @Override
    public void close() {
        network.shutdownNow();
    }
}

package org.qkdnf.controller.app.impl;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;

import io.grpc.Status;
import org.onlab.util.KryoNamespace;
import org.onosproject.cluster.ClusterService;
import org.onosproject.cluster.ControllerNode;
import org.onosproject.cluster.NodeId;
import org.onosproject.store.cluster.messaging.ClusterCommunicationService;
import org.onosproject.store.cluster.messaging.MessageSubject;
import org.onosproject.store.service.ConsistentMap;
import org.onosproject.store.service.MapEvent;
import org.onosproject.store.service.MapEventListener;
import org.onosproject.store.service.Serializer;
import org.onosproject.store.service.StorageService;
import org.onosproject.store.service.Versioned;
import org.qkdnf.controller.app.keyservice.ForwardedRequests;
import org.qkdnf.controller.km.KeyManagementManager;
import org.qkdnf.controller.km.RemoteKeyManagers;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sk commands across the ONOS cluster. A key manager's stream ends at whichever instance it
 * connected to, but routes of key services are installed by the key-service leader's manager. So
 * every instance records in {@value #SESSIONS_MAP} which instance holds each key manager's stream,
 * and a command for a key manager connected to another instance is sent there (subject
 * {@code qkdnf-km-command}: node id, timeout, the KmsCommand's bytes), which hands it to the stream
 * and sends back the key manager's CommandResult, or the status it failed with (UNAVAILABLE when
 * the stream ended, DEADLINE_EXCEEDED naming the node), in {@link ForwardedRequests}' answer form.
 *
 * <p>Which instance holds a stream is read from {@code holders}, a copy of the map kept by its
 * events, since the leader asks for every node of every route it installs (a consensus read each
 * would slow setups down). An event still on its way makes a command fail UNAVAILABLE at worst
 * (the instance asked answers that the key manager is not connected there), as when the stream
 * ends while the command travels.
 *
 * <p>When a key manager's stream starts at another instance, this instance's manager sends again
 * the removals it left pending through that node ({@link KeyManagementManager#connectedElsewhere}),
 * as it would on a reconnect here; the instance reached re-sends the installs itself.
 *
 * <p>Threads: any; the map is the cluster's, {@code holders} is concurrent and written by the
 * map's event thread (and {@link #start}), and the local manager is thread-safe. Forwarded
 * commands are handled on ONOS's messaging threads and never block them (the result completes
 * on the stream's inbound thread or the timeout scheduler).
 */
public final class ClusterKeyManagers implements RemoteKeyManagers, AutoCloseable {

    static final String SESSIONS_MAP = "qkdnf-controller-km-sessions";
    static final MessageSubject COMMANDS = new MessageSubject("qkdnf-km-command");
    /** On top of the command's own timeout, so that the key manager's DEADLINE_EXCEEDED comes back first. */
    static final Duration MESSAGING_MARGIN = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(ClusterKeyManagers.class);
    private static final Serializer SERIALIZER = Serializer.using(
            new KryoNamespace.Builder().register(byte[].class).build("qkdnf-controller-km-sessions"));

    private final ClusterService cluster;
    private final ClusterCommunicationService messaging;
    private final KeyManagementManager local;
    private final NodeId self;
    private final ConsistentMap<String, byte[]> sessions;
    private final Map<String, NodeId> holders = new ConcurrentHashMap<>();
    private final MapEventListener<String, byte[]> sessionListener = this::sessionChanged;

    public ClusterKeyManagers(StorageService storage, ClusterService cluster, ClusterCommunicationService messaging,
                              KeyManagementManager local) {
        this.cluster = cluster;
        this.messaging = messaging;
        this.local = local;
        this.self = cluster.getLocalNode().id();
        this.sessions = storage.<String, byte[]>consistentMapBuilder().withName(SESSIONS_MAP)
                .withSerializer(SERIALIZER).build();
    }

    /** Forgets the streams a previous life of this instance held, then serves forwarded commands. */
    public void start() {
        sessions.addListener(sessionListener);
        for (Map.Entry<String, Versioned<byte[]>> e : sessions.entrySet()) {
            NodeId at = holder(e.getValue());
            if (self.equals(at)) {
                sessions.remove(e.getKey(), e.getValue().version());
            } else {
                holders.putIfAbsent(e.getKey(), at);  // an event handled meanwhile is as new or newer
            }
        }
        messaging.addSubscriber(COMMANDS, Function.identity(), this::forwarded, Function.identity());
    }

    @Override
    public void close() {
        messaging.removeSubscriber(COMMANDS);
        sessions.removeListener(sessionListener);
    }

    private void sessionChanged(MapEvent<String, byte[]> event) {
        if (event.type() == MapEvent.Type.REMOVE) {
            holders.remove(event.key());
        } else if (event.newValue() != null) {
            NodeId at = holder(event.newValue());
            holders.put(event.key(), at);
            if (!self.equals(at)) {
                local.connectedElsewhere(event.key());
            }
        }
    }

    /** Called on the stream's thread: a failed map write is logged, never thrown into the stream. */
    @Override
    public void localSession(String qkdnId, boolean connected) {
        try {
            if (connected) {
                sessions.put(qkdnId, self.id().getBytes(StandardCharsets.UTF_8));
                return;
            }
            Versioned<byte[]> v = sessions.get(qkdnId);
            if (v != null && self.equals(holder(v))) {  // not a newer stream at another instance
                sessions.remove(qkdnId, v.version());
            }
        } catch (RuntimeException e) {  // StorageException: the cluster's map is unreachable now
            log.warn("key manager of node {}: its stream {} here could not be recorded in {} ({}); other instances "
                    + "reach it once it reconnects", qkdnId, connected ? "starting" : "ending", SESSIONS_MAP, e.toString());
        }
    }

    @Override
    public boolean isConnected(String qkdnId) {
        return elsewhere(qkdnId) != null;
    }

    @Override
    public CompletableFuture<CommandResult> submit(String qkdnId, KmsCommand command, Duration timeout) {
        NodeId at = elsewhere(qkdnId);
        if (at == null) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription("key manager of node " + qkdnId + " is not connected").asRuntimeException());
        }
        CompletableFuture<byte[]> sent;
        try {
            sent = messaging.sendAndReceive(encode(qkdnId, command, timeout), COMMANDS, Function.identity(),
                    Function.identity(), at, timeout.plus(MESSAGING_MARGIN));
        } catch (RuntimeException e) {
            sent = CompletableFuture.failedFuture(e);
        }
        return sent.handle((reply, error) -> {
            if (error != null) {
                throw Status.UNAVAILABLE.withDescription("key manager of node " + qkdnId + ": instance " + at
                        + " holding its stream is unreachable: " + unwrap(error).getMessage()).asRuntimeException();
            }
            return ForwardedRequests.decodeReply(reply, CommandResult::parseFrom);
        });
    }

    /** A command another instance sent for a key manager connected here. */
    private CompletableFuture<byte[]> forwarded(byte[] bytes) {
        CompletableFuture<CommandResult> result;
        try (DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes))) {
            String qkdnId = in.readUTF();
            Duration timeout = Duration.ofMillis(in.readLong());
            KmsCommand command = KmsCommand.parseFrom(in);
            if (timeout.isNegative() || timeout.isZero()) {
                throw Status.INVALID_ARGUMENT.withDescription("timeout: must be positive").asRuntimeException();
            }
            result = local.submitLocal(qkdnId, command, timeout);
        } catch (IOException e) {
            log.warn("forwarded Sk command does not parse; refused");
            result = CompletableFuture.failedFuture(Status.INVALID_ARGUMENT
                    .withDescription("forwarded Sk command does not parse").asRuntimeException());
        } catch (RuntimeException e) {
            result = CompletableFuture.failedFuture(e);
        }
        return result.handle((r, e) -> e == null ? ForwardedRequests.ok(r) : ForwardedRequests.error(unwrap(e)));
    }

    /** The other, live instance holding {@code qkdnId}'s stream; null when none does. */
    private NodeId elsewhere(String qkdnId) {
        NodeId at = holders.get(qkdnId);
        if (at == null || at.equals(self)) {
            return null;
        }
        ControllerNode.State state = cluster.getState(at);
        return state == null || state.isActive() ? at : null;  // an instance that left took its streams along
    }

    private static NodeId holder(Versioned<byte[]> v) {
        return new NodeId(new String(v.value(), StandardCharsets.UTF_8));
    }

    private static byte[] encode(String qkdnId, KmsCommand command, Duration timeout) {
        ByteArrayOutputStream b = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(b)) {
            out.writeUTF(qkdnId);
            out.writeLong(timeout.toMillis());
            command.writeTo(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return b.toByteArray();
    }

    private static Throwable unwrap(Throwable t) {
        return t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
    }
}

package org.qkdnf.controller.sq;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.controller.api.QkdTopologyAdminService;
import org.qkdnf.controller.impl.CommandDispatcher;
import org.qkdnf.proto.southbound.v1.ConnectRequest;
import org.qkdnf.proto.southbound.v1.ConnectResponse;
import org.qkdnf.proto.southbound.v1.QuantumLayerServiceGrpc;

/**
 * The controller side of Sq: one {@link AgentSession} per agent stream. Expects to run behind
 * {@link org.qkdnf.common.tls.PeerIdentityInterceptor} (role {@value SqServerFactory#AGENT_ROLE}),
 * which puts the caller's certificate identity into the call's context.
 *
 * <p>Threads: {@code sessions} maps a node id to its one live session; replacing an entry is atomic,
 * and a session only unregisters itself ({@code remove(key, value)}), so a late end of an old stream
 * never disconnects the new one.
 */
public final class QuantumLayerGrpcService extends QuantumLayerServiceGrpc.QuantumLayerServiceImplBase {

    private final QkdTopologyAdminService topology;
    private final CommandDispatcher commands;
    private final String controllerId;
    private final ConcurrentHashMap<String, AgentSession> sessions = new ConcurrentHashMap<>();

    /**
     * @param controllerId sent to agents in HelloAck
     */
    public QuantumLayerGrpcService(QkdTopologyAdminService topology, CommandDispatcher commands, String controllerId) {
        this.topology = Objects.requireNonNull(topology, "topology");
        this.commands = Objects.requireNonNull(commands, "commands");
        this.controllerId = Objects.requireNonNull(controllerId, "controllerId");
    }

    @Override
    public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responseObserver) {
        // Runs in the call's context: the identity set by the interceptor is visible here.
        Optional<PeerIdentity> identity = PeerIdentity.current();
        ServerCallStreamObserver<ConnectResponse> out = (ServerCallStreamObserver<ConnectResponse>) responseObserver;
        AgentSession session = new AgentSession(this, identity.orElse(null), out);
        if (identity.isEmpty()) {
            session.closeWith(Status.UNAUTHENTICATED.withDescription("no authenticated peer identity"));
        }
        return session;
    }

    QkdTopologyAdminService topology() {
        return topology;
    }

    CommandDispatcher commands() {
        return commands;
    }

    String controllerId() {
        return controllerId;
    }

    /** Makes {@code session} the node's live session; an older one is aborted. */
    void register(String qkdnId, AgentSession session) {
        AgentSession older = sessions.put(qkdnId, session);
        if (older != null && older != session) {
            older.closeWith(Status.ABORTED.withDescription("replaced by a newer stream of node " + qkdnId));
        }
    }

    /** @return whether {@code session} was still the node's live session */
    boolean unregister(String qkdnId, AgentSession session) {
        return sessions.remove(qkdnId, session);
    }

    /** Number of agent streams past Hello. */
    public int connectedAgents() {
        return sessions.size();
    }

    /** Closes every stream (UNAVAILABLE), for a host that shuts down. */
    public void closeAll() {
        for (AgentSession s : sessions.values()) {
            s.closeWith(Status.UNAVAILABLE.withDescription("controller shutting down"));
        }
    }
}

package org.qkdnf.controller.km;

import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;

/**
 * The controller side of Sk: one {@link KmSession} per key-manager stream. Expects to run behind
 * {@link org.qkdnf.common.tls.PeerIdentityInterceptor} admitting role {@value SkServerFactory#KMS_ROLE}
 * ({@link SkServerFactory#interceptedService}).
 *
 * <p>Threads: {@code sessions} maps a node id to its one live session; a session only unregisters
 * itself ({@code remove(key, value)}), so a late end of an old stream never disconnects the new one.
 */
public final class KeyManagementGrpcService extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {

    private final KeyManagementManager manager;
    private final String controllerId;
    private final ConcurrentHashMap<String, KmSession> sessions = new ConcurrentHashMap<>();

    public KeyManagementGrpcService(KeyManagementManager manager, String controllerId) {
        this.manager = Objects.requireNonNull(manager, "manager");
        this.controllerId = Objects.requireNonNull(controllerId, "controllerId");
    }

    @Override
    public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> responseObserver) {
        Optional<PeerIdentity> identity = PeerIdentity.current();
        KmSession session = new KmSession(this, identity.orElse(null),
                (ServerCallStreamObserver<ConnectResponse>) responseObserver);
        if (identity.isEmpty()) {
            session.closeWith(Status.UNAUTHENTICATED.withDescription("no authenticated peer identity"));
        }
        return session;
    }

    KeyManagementManager manager() {
        return manager;
    }

    String controllerId() {
        return controllerId;
    }

    void register(String qkdnId, KmSession session) {
        KmSession older = sessions.put(qkdnId, session);
        if (older != null && older != session) {
            older.closeWith(Status.ABORTED.withDescription("replaced by a newer stream of node " + qkdnId));
        }
    }

    boolean unregister(String qkdnId, KmSession session) {
        return sessions.remove(qkdnId, session);
    }

    /** Number of key-manager streams past their hello. */
    public int connectedKeyManagers() {
        return sessions.size();
    }

    /** Closes every stream (UNAVAILABLE), for a host that shuts down. */
    public void closeAll() {
        for (KmSession s : sessions.values()) {
            s.closeWith(Status.UNAVAILABLE.withDescription("controller shutting down"));
        }
    }
}

package org.qkdnf.controller.km;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;

import io.grpc.Status;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;

/**
 * Key managers whose Sk stream ends at another controller instance (inside an ONOS cluster, where
 * a key manager connects to any instance but routes are installed by the one that owns the key
 * services). The {@link KeyManagementManager} tells it where streams start and end here, asks it
 * about nodes not connected here, and sends their commands through it. Thread-safe.
 */
public interface RemoteKeyManagers {

    /** No other instance (standalone). */
    RemoteKeyManagers NONE = new RemoteKeyManagers() {
        @Override
        public void localSession(String qkdnId, boolean connected) {
        }

        @Override
        public boolean isConnected(String qkdnId) {
            return false;
        }

        @Override
        public CompletableFuture<CommandResult> submit(String qkdnId, KmsCommand command, Duration timeout) {
            return CompletableFuture.failedFuture(Status.UNAVAILABLE
                    .withDescription("key manager of node " + qkdnId + " is not connected").asRuntimeException());
        }
    };

    /** The stream of {@code qkdnId}'s key manager started ({@code connected}) or ended at this instance. */
    void localSession(String qkdnId, boolean connected);

    /** Whether {@code qkdnId}'s key manager has a stream at another instance now. */
    boolean isConnected(String qkdnId);

    /**
     * Sends {@code command} (request id and deadline are filled in where the stream is) to
     * {@code qkdnId}'s key manager through the instance holding its stream; completes with the key
     * manager's result, or fails with a status naming the node (UNAVAILABLE, DEADLINE_EXCEEDED).
     */
    CompletableFuture<CommandResult> submit(String qkdnId, KmsCommand command, Duration timeout);
}

package org.qkdnf.controller.km;

import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.proto.keymgmt.v1.GetKmTopologyRequest;
import org.qkdnf.proto.keymgmt.v1.GetKmTopologyResponse;
import org.qkdnf.proto.keymgmt.v1.InstallKeyRouteRequest;
import org.qkdnf.proto.keymgmt.v1.InstallKeyRouteResponse;
import org.qkdnf.proto.keymgmt.v1.KeyRouteAdminServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.ListKeyRoutesRequest;
import org.qkdnf.proto.keymgmt.v1.ListKeyRoutesResponse;
import org.qkdnf.proto.keymgmt.v1.RemoveKeyRouteRequest;
import org.qkdnf.proto.keymgmt.v1.RemoveKeyRouteResponse;

/**
 * Northbound for operator-pinned key routes, a thin gRPC face of {@link KeyManagementAdminService}:
 * each call answers when the manager's future completes (no thread waits meanwhile), with the
 * future's status on failure. Runs behind the identity interceptor admitting
 * {@link SkServerFactory#ADMIN_ROLES}.
 */
public final class KeyRouteAdminGrpcService extends KeyRouteAdminServiceGrpc.KeyRouteAdminServiceImplBase {

    private final KeyManagementAdminService manager;

    public KeyRouteAdminGrpcService(KeyManagementAdminService manager) {
        this.manager = Objects.requireNonNull(manager, "manager");
    }

    @Override
    public void installKeyRoute(InstallKeyRouteRequest request, StreamObserver<InstallKeyRouteResponse> out) {
        if (!request.hasRoute()) {
            out.onError(KmValidator.invalid("route: required"));
            return;
        }
        answer(manager.installRoute(request.getRoute(), timeout(request.getTimeoutMs()))
                .thenApply(e -> InstallKeyRouteResponse.newBuilder().setEntry(e).build()), out);
    }

    @Override
    public void removeKeyRoute(RemoveKeyRouteRequest request, StreamObserver<RemoveKeyRouteResponse> out) {
        answer(manager.removeRoute(request.getServiceId(), timeout(request.getTimeoutMs()))
                .thenApply(v -> RemoveKeyRouteResponse.getDefaultInstance()), out);
    }

    @Override
    public void listKeyRoutes(ListKeyRoutesRequest request, StreamObserver<ListKeyRoutesResponse> out) {
        out.onNext(ListKeyRoutesResponse.newBuilder().addAllEntries(manager.getKeyRoutes()).build());
        out.onCompleted();
    }

    @Override
    public void getKmTopology(GetKmTopologyRequest request, StreamObserver<GetKmTopologyResponse> out) {
        out.onNext(GetKmTopologyResponse.newBuilder().addAllKmNodes(manager.getKmNodes())
                .addAllKmLinks(manager.getKmLinks()).build());
        out.onCompleted();
    }

    private static Duration timeout(int ms) {
        return ms == 0 ? null : Duration.ofMillis(Integer.toUnsignedLong(ms));
    }

    private static <T> void answer(CompletableFuture<T> future, StreamObserver<T> out) {
        future.whenComplete((value, error) -> {
            if (error != null) {
                Throwable cause = error instanceof java.util.concurrent.CompletionException && error.getCause() != null
                        ? error.getCause() : error;
                Status s = Status.fromThrowable(cause);
                out.onError(s.getCode() == Status.Code.UNKNOWN
                        ? Status.INTERNAL.withDescription("internal error").asRuntimeException()
                        : s.asRuntimeException());
            } else {
                out.onNext(value);
                out.onCompleted();
            }
        });
    }
}

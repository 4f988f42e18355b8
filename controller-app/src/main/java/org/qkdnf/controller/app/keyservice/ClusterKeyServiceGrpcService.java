package org.qkdnf.controller.app.keyservice;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.tls.PeerIdentityInterceptor;
import org.qkdnf.controller.keyservice.KeyServiceListener;
import org.qkdnf.controller.km.SkServerFactory;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.DeleteKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.GetKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.GetKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.GetTopologyRequest;
import org.qkdnf.proto.northbound.v1.GetTopologyResponse;
import org.qkdnf.proto.northbound.v1.KeyService;
import org.qkdnf.proto.northbound.v1.KeyServiceServiceGrpc;
import org.qkdnf.proto.northbound.v1.ListKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.ListKeyServicesResponse;
import org.qkdnf.proto.northbound.v1.ModifyKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.ModifyKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.QueryPathsRequest;
import org.qkdnf.proto.northbound.v1.QueryPathsResponse;
import org.qkdnf.proto.northbound.v1.WatchKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.WatchKeyServicesResponse;

/**
 * Nc ({@code qkdnf.northbound.v1.KeyServiceService}) on any instance of the ONOS cluster: the
 * core's KeyServiceGrpcService serves one manager, this one serves {@link KeyServicesService}, so
 * changes reach the leader wherever the client connected. Unary calls answer when the future
 * completes (no thread waits meanwhile). A watch gets every service, then every change from the
 * cluster's map; a change that lands while the snapshot is sent may be seen twice (the later
 * message is the latest state). Runs behind the identity interceptor admitting the roles
 * controller and operator.
 */
public final class ClusterKeyServiceGrpcService extends KeyServiceServiceGrpc.KeyServiceServiceImplBase {

    private final KeyServicesService services;

    public ClusterKeyServiceGrpcService(KeyServicesService services) {
        this.services = services;
    }

    /** This service behind the identity interceptor admitting the roles controller and operator. */
    public static ServerServiceDefinition intercepted(KeyServicesService services) {
        return ServerInterceptors.intercept(new ClusterKeyServiceGrpcService(services),
                new PeerIdentityInterceptor(SkServerFactory.ADMIN_ROLES));
    }

    @Override
    public void createKeyService(CreateKeyServiceRequest request, StreamObserver<CreateKeyServiceResponse> out) {
        if (!request.hasSpec()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("spec: required").asRuntimeException());
            return;
        }
        answer(services.create(request.getSpec())
                .thenApply(s -> CreateKeyServiceResponse.newBuilder().setService(s).build()), out);
    }

    @Override
    public void modifyKeyService(ModifyKeyServiceRequest request, StreamObserver<ModifyKeyServiceResponse> out) {
        if (!request.hasQos()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("qos: required").asRuntimeException());
            return;
        }
        answer(services.modify(request.getServiceId(), request.getQos(),
                        request.hasConstraints() ? request.getConstraints() : null)
                .thenApply(s -> ModifyKeyServiceResponse.newBuilder().setService(s).build()), out);
    }

    @Override
    public void deleteKeyService(DeleteKeyServiceRequest request, StreamObserver<DeleteKeyServiceResponse> out) {
        answer(services.delete(request.getServiceId()).thenApply(v -> DeleteKeyServiceResponse.getDefaultInstance()),
                out);
    }

    @Override
    public void getKeyService(GetKeyServiceRequest request, StreamObserver<GetKeyServiceResponse> out) {
        String id = request.getServiceId();
        if (id.isEmpty()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("service_id: required").asRuntimeException());
            return;
        }
        KeyService s = services.get(id).orElse(null);
        if (s == null) {
            out.onError(Status.NOT_FOUND.withDescription("service_id: no key service " + abbreviated(id))
                    .asRuntimeException());
            return;
        }
        out.onNext(GetKeyServiceResponse.newBuilder().setService(s).build());
        out.onCompleted();
    }

    @Override
    public void listKeyServices(ListKeyServicesRequest request, StreamObserver<ListKeyServicesResponse> out) {
        out.onNext(ListKeyServicesResponse.newBuilder().addAllServices(services.list()).build());
        out.onCompleted();
    }

    @Override
    public void watchKeyServices(WatchKeyServicesRequest request, StreamObserver<WatchKeyServicesResponse> out) {
        ServerCallStreamObserver<WatchKeyServicesResponse> call = (ServerCallStreamObserver<WatchKeyServicesResponse>) out;
        KeyServiceListener listener = new KeyServiceListener() {
            @Override
            public void keyServiceChanged(KeyService service, boolean removed) {
                synchronized (call) {  // one writer at a time: map events and the snapshot below
                    if (call.isCancelled()) {
                        services.removeListener(this);
                        return;
                    }
                    call.onNext(WatchKeyServicesResponse.newBuilder().setService(service).setRemoved(removed).build());
                }
            }
        };
        call.setOnCancelHandler(() -> services.removeListener(listener));
        services.addListener(listener);
        synchronized (call) {
            for (KeyService s : services.list()) {
                call.onNext(WatchKeyServicesResponse.newBuilder().setService(s).build());
            }
        }
    }

    @Override
    public void queryPaths(QueryPathsRequest request, StreamObserver<QueryPathsResponse> out) {
        if (!request.hasSpec()) {
            out.onError(Status.INVALID_ARGUMENT.withDescription("spec: required").asRuntimeException());
            return;
        }
        answer(services.queryPaths(request.getSpec())
                .thenApply(r -> QueryPathsResponse.newBuilder().addAllRoutes(r).build()), out);
    }

    @Override
    public void getTopology(GetTopologyRequest request, StreamObserver<GetTopologyResponse> out) {
        answer(services.topology(), out);
    }

    private static String abbreviated(String id) {
        return id.length() > 64 ? id.substring(0, 64) + "..." : id;
    }

    private static <T> void answer(CompletableFuture<T> future, StreamObserver<T> out) {
        future.whenComplete((value, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
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

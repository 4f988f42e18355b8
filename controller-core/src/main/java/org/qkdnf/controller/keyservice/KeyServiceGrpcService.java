package org.qkdnf.controller.keyservice;

import io.grpc.ServerInterceptors;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.util.Arrays;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;
import org.qkdnf.common.tls.PeerIdentityInterceptor;
import org.qkdnf.controller.km.SkServerFactory;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.northbound.v1.BatchCreateKeyServicesRequest;
import org.qkdnf.proto.northbound.v1.BatchCreateKeyServicesResponse;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceRequest;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResponse;
import org.qkdnf.proto.northbound.v1.CreateKeyServiceResult;
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
import org.qkdnf.proto.northbound.v1.WatchTopologyRequest;
import org.qkdnf.proto.northbound.v1.WatchTopologyResponse;

/**
 * Nc, the key-service northbound: a thin gRPC face of a {@link KeyServiceBackend} (the
 * {@link KeyServiceManager}, or inside ONOS the cluster's front to the leader's manager). Unary
 * calls answer when the backend's future completes (no thread waits meanwhile). A watch gets every
 * service, then every change, until the client cancels (a topology watch: the snapshot, then the
 * node and link changes) or the backend ends it with a status; a watcher that does not keep up is
 * not throttled (changes are rare next to the stream's buffer; flow control is left for later).
 * Runs behind the identity interceptor admitting {@link SkServerFactory#ADMIN_ROLES}.
 *
 * <p>Threads: a watch's messages are written under the call's lock, since a backend may call its
 * listener from several threads.
 */
public final class KeyServiceGrpcService extends KeyServiceServiceGrpc.KeyServiceServiceImplBase {

    /** Most creations one BatchCreateKeyServices call may carry (the proto's documented limit). */
    public static final int MAX_BATCH = 1000;

    private final KeyServiceBackend backend;

    public KeyServiceGrpcService(KeyServiceBackend backend) {
        this.backend = Objects.requireNonNull(backend, "backend");
    }

    /** This service behind the identity interceptor admitting the roles controller and operator. */
    public static ServerServiceDefinition intercepted(KeyServiceGrpcService service) {
        return ServerInterceptors.intercept(service, new PeerIdentityInterceptor(SkServerFactory.ADMIN_ROLES));
    }

    @Override
    public void createKeyService(CreateKeyServiceRequest request, StreamObserver<CreateKeyServiceResponse> out) {
        if (!request.hasSpec()) {
            out.onError(KeyServiceValidator.invalid("spec: required"));
            return;
        }
        answer(backend.create(request.getSpec()).thenApply(s -> CreateKeyServiceResponse.newBuilder().setService(s).build()),
                out);
    }

    /**
     * Every request goes to the backend as its own create, all at once (the backend pipelines
     * them); the answer is assembled as they complete, on whichever thread completes the last.
     */
    @Override
    public void batchCreateKeyServices(BatchCreateKeyServicesRequest request,
                                       StreamObserver<BatchCreateKeyServicesResponse> out) {
        int n = request.getRequestsCount();
        if (n == 0 || n > MAX_BATCH) {
            out.onError(KeyServiceValidator.invalid("requests: must hold 1.." + MAX_BATCH + " creations, got " + n));
            return;
        }
        CreateKeyServiceResult[] results = new CreateKeyServiceResult[n];
        AtomicInteger left = new AtomicInteger(n);
        for (int i = 0; i < n; i++) {
            int index = i;
            CreateKeyServiceRequest r = request.getRequests(i);
            CompletableFuture<KeyService> created = r.hasSpec() ? backend.create(r.getSpec())
                    : CompletableFuture.failedFuture(KeyServiceValidator.invalid("spec: required"));
            created.whenComplete((s, error) -> {
                results[index] = error == null ? CreateKeyServiceResult.newBuilder().setService(s).build()
                        : CreateKeyServiceResult.newBuilder().setError(failure(index, status(error).getStatus())).build();
                // The decrement publishes results[index] to the thread that sees zero.
                if (left.decrementAndGet() == 0) {
                    out.onNext(BatchCreateKeyServicesResponse.newBuilder().addAllResults(Arrays.asList(results)).build());
                    out.onCompleted();
                }
            });
        }
    }

    /** A refused request of a batch, its message prefixed with the request's place in the batch. */
    private static OperationResult failure(int index, Status s) {
        String d = s.getDescription() == null ? "" : s.getDescription();
        String at = "requests[" + index + "]";
        return OperationResult.newBuilder().setCode(s.getCode().value())
                .setMessage(d.startsWith("spec") ? at + "." + d : at + ": " + d).build();
    }

    @Override
    public void modifyKeyService(ModifyKeyServiceRequest request, StreamObserver<ModifyKeyServiceResponse> out) {
        if (!request.hasQos()) {
            out.onError(KeyServiceValidator.invalid("qos: required"));
            return;
        }
        answer(backend.modify(request.getServiceId(), request.getQos(),
                        request.hasConstraints() ? request.getConstraints() : null)
                .thenApply(s -> ModifyKeyServiceResponse.newBuilder().setService(s).build()), out);
    }

    @Override
    public void deleteKeyService(DeleteKeyServiceRequest request, StreamObserver<DeleteKeyServiceResponse> out) {
        answer(backend.delete(request.getServiceId()).thenApply(v -> DeleteKeyServiceResponse.getDefaultInstance()), out);
    }

    @Override
    public void getKeyService(GetKeyServiceRequest request, StreamObserver<GetKeyServiceResponse> out) {
        try {
            KeyServiceValidator.serviceId(request.getServiceId());
        } catch (RuntimeException e) {
            out.onError(e);
            return;
        }
        var s = backend.get(request.getServiceId());
        if (s.isEmpty()) {
            out.onError(KeyServiceValidator.notFound("service_id: no key service " + request.getServiceId()));
            return;
        }
        out.onNext(GetKeyServiceResponse.newBuilder().setService(s.get()).build());
        out.onCompleted();
    }

    @Override
    public void listKeyServices(ListKeyServicesRequest request, StreamObserver<ListKeyServicesResponse> out) {
        out.onNext(ListKeyServicesResponse.newBuilder().addAllServices(backend.list()).build());
        out.onCompleted();
    }

    @Override
    public void watchKeyServices(WatchKeyServicesRequest request, StreamObserver<WatchKeyServicesResponse> out) {
        ServerCallStreamObserver<WatchKeyServicesResponse> call = (ServerCallStreamObserver<WatchKeyServicesResponse>) out;
        KeyServiceListener listener = new KeyServiceListener() {
            @Override
            public void keyServiceChanged(KeyService service, boolean removed) {
                synchronized (call) {
                    if (call.isCancelled()) {
                        backend.removeListener(this);
                        return;
                    }
                    call.onNext(WatchKeyServicesResponse.newBuilder().setService(service).setRemoved(removed).build());
                }
            }
        };
        call.setOnCancelHandler(() -> backend.removeListener(listener));
        endOnFailure(backend.subscribe(listener), call, () -> backend.removeListener(listener));
    }

    @Override
    public void queryPaths(QueryPathsRequest request, StreamObserver<QueryPathsResponse> out) {
        if (!request.hasSpec()) {
            out.onError(KeyServiceValidator.invalid("spec: required"));
            return;
        }
        answer(backend.queryPaths(request.getSpec()).thenApply(r -> QueryPathsResponse.newBuilder().addAllRoutes(r).build()),
                out);
    }

    @Override
    public void getTopology(GetTopologyRequest request, StreamObserver<GetTopologyResponse> out) {
        answer(backend.topology(), out);
    }

    @Override
    public void watchTopology(WatchTopologyRequest request, StreamObserver<WatchTopologyResponse> out) {
        ServerCallStreamObserver<WatchTopologyResponse> call = (ServerCallStreamObserver<WatchTopologyResponse>) out;
        Consumer<WatchTopologyResponse> watcher = new Consumer<WatchTopologyResponse>() {
            @Override
            public void accept(WatchTopologyResponse r) {
                synchronized (call) {
                    if (call.isCancelled()) {
                        backend.unwatchTopology(this);
                        return;
                    }
                    call.onNext(r);
                }
            }
        };
        call.setOnCancelHandler(() -> backend.unwatchTopology(watcher));
        endOnFailure(backend.watchTopology(watcher), call, () -> backend.unwatchTopology(watcher));
    }

    /** A watch the backend cannot start, or ends: the client gets the backend's status. */
    private static void endOnFailure(CompletableFuture<Void> watch, ServerCallStreamObserver<?> call, Runnable unwatch) {
        watch.whenComplete((v, error) -> {
            if (error == null) {
                return;
            }
            unwatch.run();
            synchronized (call) {
                if (!call.isCancelled()) {
                    call.onError(status(error));
                }
            }
        });
    }

    private static <T> void answer(CompletableFuture<T> future, StreamObserver<T> out) {
        future.whenComplete((value, error) -> {
            if (error != null) {
                out.onError(status(error));
            } else {
                out.onNext(value);
                out.onCompleted();
            }
        });
    }

    /** The backend's status; anything that is not one is answered INTERNAL without its detail. */
    private static StatusRuntimeException status(Throwable error) {
        Throwable cause = error instanceof CompletionException && error.getCause() != null ? error.getCause() : error;
        Status s = Status.fromThrowable(cause);
        return s.getCode() == Status.Code.UNKNOWN
                ? Status.INTERNAL.withDescription("internal error").asRuntimeException()
                : s.asRuntimeException();
    }
}

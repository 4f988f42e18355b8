package org.qkdnf.controller.keyservice;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.controller.api.KeyManagementAdminService;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.northbound.v1.AppQos;
import org.qkdnf.proto.northbound.v1.KeyServiceSpec;
import org.qkdnf.proto.northbound.v1.ServiceRoute;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A key service's routes in the key managers, over Sk. Each installed route has its own UUID
 * (route_id, the key managers' service_id), so a new route can be installed before the old one is
 * removed (make-before-break), and a 1+1 service has both of its routes installed at once.
 *
 * <p>Threads: stateless; nothing here waits. Futures complete on whichever thread the key-management
 * manager completes them on, so the caller hops back to its own thread before touching its state.
 */
final class RouteInstaller {

    private static final Logger log = LoggerFactory.getLogger(RouteInstaller.class);

    /** Key the source keeps relayed ahead of demand: at least 64 kbit, else two seconds of rate. */
    static final long MIN_BUFFER_BITS = 65_536;

    private final KeyManagementAdminService keyManagement;

    RouteInstaller(KeyManagementAdminService keyManagement) {
        this.keyManagement = keyManagement;
    }

    /** {@code r} with a fresh route id unless it has one. */
    static ServiceRoute withRouteId(ServiceRoute r) {
        return r.getRouteId().isEmpty() ? r.toBuilder().setRouteId(Uuids.timeOrdered().toString()).build() : r;
    }

    /**
     * Installs every route of {@code routes} (each must carry its route id) in parallel. Completes
     * with them marked installed once every key manager acknowledged them all; on any failure the
     * ones that did install are removed again and it fails with the first failure, in route order.
     */
    CompletableFuture<List<ServiceRoute>> installAll(KeyServiceSpec spec, List<ServiceRoute> routes) {
        List<CompletableFuture<ServiceRoute>> each = new ArrayList<>(routes.size());
        for (ServiceRoute r : routes) {
            each.add(install(spec, r));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0])).handle((v, x) -> {
            List<ServiceRoute> done = new ArrayList<>();
            StatusRuntimeException failure = null;
            for (CompletableFuture<ServiceRoute> f : each) {
                try {
                    done.add(f.join());
                } catch (CompletionException e) {
                    if (failure == null) {
                        failure = asStatus(e.getCause());
                    }
                }
            }
            if (failure != null) {
                done.forEach(this::uninstall);
                throw failure;
            }
            return done;
        });
    }

    private CompletableFuture<ServiceRoute> install(KeyServiceSpec spec, ServiceRoute r) {
        AppQos q = spec.getQos();
        long rate = q.getMaxBandwidthBps() != 0 ? q.getMaxBandwidthBps() : q.getMinBandwidthBps();
        if (r.getRateBps() != 0) {
            // One route of a split: its share of the service's rate, in proportion.
            rate = Math.max(1, (long) ((double) rate * r.getRateBps() / q.getMinBandwidthBps()));
        }
        long buffer = Math.max(MIN_BUFFER_BITS, rate * 2);
        buffer = (buffer + 7) / 8 * 8;
        KeyRoute kr = KeyRoute.newBuilder().setServiceId(r.getRouteId())
                .setMasterSaeId(spec.getMasterSaeId()).setSlaveSaeId(spec.getSlaveSaeId())
                .addAllRouteQkdnIds(r.getQkdnIdsList()).addAllRouteQkdlIds(r.getQkdlIdsList())
                .setRateBps(rate).setBufferBits(buffer).build();
        return keyManagement.installRoute(kr, null).thenApply(e -> r.toBuilder().setInstalled(true).build());
    }

    /**
     * Removes an installed route; completes (never fails) once the key managers answered. Best
     * effort: the key-management manager re-sends a removal a key manager missed when it reconnects.
     */
    CompletableFuture<Void> uninstall(ServiceRoute r) {
        if (!r.getInstalled() || r.getRouteId().isEmpty()) {
            return CompletableFuture.completedFuture(null);
        }
        return keyManagement.removeRoute(r.getRouteId(), null).handle((v, x) -> {
            if (x != null) {
                Status s = Status.fromThrowable(x instanceof CompletionException ? x.getCause() : x);
                if (s.getCode() != Status.Code.NOT_FOUND) {
                    log.warn("route {} not removed everywhere yet (re-sent on reconnect): {}", r.getRouteId(), s);
                }
            }
            return null;
        });
    }

    /** Removes every installed route of {@code routes}; completes when all answered. */
    CompletableFuture<Void> uninstallAll(List<ServiceRoute> routes) {
        List<CompletableFuture<Void>> each = new ArrayList<>();
        for (ServiceRoute r : routes) {
            each.add(uninstall(r));
        }
        return CompletableFuture.allOf(each.toArray(new CompletableFuture<?>[0]));
    }

    static StatusRuntimeException asStatus(Throwable t) {
        Throwable c = t instanceof CompletionException && t.getCause() != null ? t.getCause() : t;
        if (c instanceof StatusRuntimeException) {
            return (StatusRuntimeException) c;
        }
        return Status.fromThrowable(c).asRuntimeException();
    }
}

package org.qkdnf.bench.nc;

import java.net.InetSocketAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

import com.google.protobuf.Timestamp;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.channel.nio.NioEventLoopGroup;
import io.grpc.netty.shaded.io.netty.channel.socket.nio.NioServerSocketChannel;
import io.grpc.stub.StreamObserver;
import org.qkdnf.bench.cpu.ThreadCpu;
import org.qkdnf.bench.sq.BenchPki;
import org.qkdnf.bench.topo.RingTopology;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.HelloAck;
import org.qkdnf.proto.keymgmt.v1.InstallRoute;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsCommandBatch;

/**
 * The key managers' side of route installs alone: real {@link KmsAgent}s (one per node of a
 * {@link RingTopology}, own certificates and stores, Sk over mTLS) take InstallRoute commands from
 * a scripted controller end of Sk that does nothing else: it keeps {@code window} routes in
 * flight, sends each route's install to every node on it in per-node {@code KmsCommandBatch}es
 * (all routes started together share a batch, as the controller batches its sends), and counts a
 * route done when every node answered OK. So the CPU per route is what the key managers spend
 * (Sk decode, validation, store write and sync, answers, their half of TLS and HTTP/2), plus the
 * scripted end's own, which runs on threads of its own ({@code bench-ctl-*}) and is reported apart.
 *
 * <p>Uses only the kms-agent's public API, so this class can run against the kms-agent of an older
 * bench jar: {@code java -cp old.jar:new.jar org.qkdnf.bench.nc.SkInstallMain} (the old jar first).
 * Arguments: routes, warm-up routes, window (routes in flight), nodes; defaults 20000 4000 256 16.
 *
 * <p>Threads: the main thread starts routes and sends batches; answers arrive on the scripted
 * end's executor; per-route state is concurrent.
 */
public final class SkInstallMain {

    private static final int MAX_HOPS = 3;

    private final RingTopology ring;
    private final Map<String, StreamObserver<ConnectResponse>> streams = new ConcurrentHashMap<>();
    private final Map<String, Pending> pending = new ConcurrentHashMap<>();
    private final AtomicLong failed = new AtomicLong();
    private volatile Semaphore window;
    private volatile CountDownLatch done;

    /** One route's install: nodes still to answer. */
    private static final class Pending {
        final AtomicInteger left;

        Pending(int nodes) {
            left = new AtomicInteger(nodes);
        }
    }

    private SkInstallMain(int nodes) {
        ring = new RingTopology(nodes, 4);
    }

    public static void main(String[] args) throws Exception {
        int routes = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int warmup = args.length > 1 ? Integer.parseInt(args[1]) : 4_000;
        int inFlight = args.length > 2 ? Integer.parseInt(args[2]) : 256;
        int nodes = args.length > 3 ? Integer.parseInt(args[3]) : 16;
        new SkInstallMain(nodes).run(routes, warmup, inFlight);
        System.exit(0);
    }

    private void run(int routes, int warmup, int inFlight) throws Exception {
        Path dir = Files.createTempDirectory("qkdnf-bench-sk");
        NioEventLoopGroup io = new NioEventLoopGroup(1, named("bench-ctl-io"));
        List<KmsAgent> kms = new ArrayList<>();
        Server server = null;
        try (BenchPki pki = BenchPki.create()) {
            server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                            GrpcTls.serverCredentials(pki.controller()))
                    .channelType(NioServerSocketChannel.class).bossEventLoopGroup(io).workerEventLoopGroup(io)
                    .executor(Executors.newSingleThreadExecutor(named("bench-ctl-exec")))
                    .addService(new ScriptedController()).build().start();
            for (int i = 0; i < ring.nodeCount(); i++) {
                String id = ring.nodeId(i);
                InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
                KmsAgent k = KmsAgent.start(new KmsAgentConfig(id, "kme-" + i, dir.resolve("kms-" + i),
                        pki.issue(id, Role.KMS), any, any, any, 1 << 20));
                kms.add(k);
                k.connectController("127.0.0.1:" + server.getPort(), Duration.ofSeconds(5));
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (streams.size() < ring.nodeCount()) {
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("only " + streams.size() + " key managers connected in 30 s");
                }
                Thread.sleep(10);
            }
            Random rnd = new Random(1);
            System.out.printf(Locale.ROOT, "bed: %d kms-agents over Sk (mTLS), %d routes in flight%n",
                    ring.nodeCount(), inFlight);
            drive(rnd, warmup, inFlight);
            System.out.printf(Locale.ROOT, "warmup: %,d routes, %,d failed%n", warmup, failed.get());
            failed.set(0);
            ThreadCpu threads = ThreadCpu.start();
            long t0 = System.nanoTime();
            long nodeInstalls = drive(rnd, routes, inFlight);
            double secs = (System.nanoTime() - t0) / 1e9;
            long process = threads.processNanos();
            Map<String, Long> byRole = new TreeMap<>(threads.nanosBy(SkInstallMain::role));
            long named = byRole.values().stream().mapToLong(Long::longValue).sum();
            byRole.put("other (GC, JIT, exited threads)", Math.max(0, process - named));
            System.out.printf(Locale.ROOT, "measured: %,d routes (%,d installs at key managers) in %.2f s = %,.0f routes/s,"
                    + " %,d failed%n", routes, nodeInstalls, secs, routes / secs, failed.get());
            System.out.printf(Locale.ROOT, "cpu: %.0f us per route, %.0f us per install at a key manager (whole JVM)%n",
                    process / 1e3 / routes, process / 1e3 / nodeInstalls);
            byRole.forEach((role, cpu) -> System.out.printf(Locale.ROOT, "  %-34s %6.0f us per route%n", role,
                    cpu / 1e3 / routes));
            long installed = kms.stream().mapToLong(k -> k.services().services().size()).sum();
            System.out.printf(Locale.ROOT, "routes installed over all key managers: %,d%n", installed);
        } finally {
            for (KmsAgent k : kms) {
                k.close();
            }
            if (server != null) {
                server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
            }
            io.shutdownGracefully(0, 1, TimeUnit.SECONDS);
            try (Stream<Path> files = Files.walk(dir)) {
                for (Path p : (Iterable<Path>) files.sorted(Comparator.reverseOrder())::iterator) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Installs {@code count} routes, {@code inFlight} at a time; the installs sent to key managers. */
    private long drive(Random rnd, int count, int inFlight) throws InterruptedException {
        window = new Semaphore(inFlight);
        done = new CountDownLatch(count);
        long installs = 0;
        int started = 0;
        Timestamp deadline = Timestamp.newBuilder().setSeconds(Instant.now().plusSeconds(600).getEpochSecond()).build();
        while (started < count) {
            window.acquire();
            int n = 1 + Math.min(window.drainPermits(), count - started - 1);
            if (started + n > count) {
                window.release(started + n - count);
                n = count - started;
            }
            Map<String, KmsCommandBatch.Builder> batches = new HashMap<>();
            for (int i = 0; i < n; i++) {
                KeyRoute route = route(rnd, started + i);
                pendingFor(route);
                for (String node : route.getRouteQkdnIdsList()) {
                    batches.computeIfAbsent(node, x -> KmsCommandBatch.newBuilder()).addCommands(KmsCommand.newBuilder()
                            .setRequestId(route.getServiceId() + "/" + node.substring(0, 8)).setDeadline(deadline)
                            .setInstallRoute(InstallRoute.newBuilder().setRoute(route)));
                    installs++;
                }
            }
            started += n;
            batches.forEach((node, b) -> {
                StreamObserver<ConnectResponse> out = streams.get(node);
                synchronized (out) {
                    out.onNext(ConnectResponse.newBuilder().setCommands(b).build());
                }
            });
        }
        done.await();
        return installs;
    }

    private void pendingFor(KeyRoute route) {
        Pending p = new Pending(route.getRouteQkdnIdsCount());
        for (String node : route.getRouteQkdnIdsList()) {
            pending.put(route.getServiceId() + "/" + node.substring(0, 8), p);
        }
    }

    /** 1 to {@value #MAX_HOPS} hops along the ring from a random node, ids as the controller mints them. */
    private KeyRoute route(Random rnd, int n) {
        int from = rnd.nextInt(ring.nodeCount());
        int hops = 1 + rnd.nextInt(MAX_HOPS);
        KeyRoute.Builder r = KeyRoute.newBuilder().setServiceId(Uuids.timeOrdered().toString())
                .setMasterSaeId("sae-m-" + n).setSlaveSaeId("sae-s-" + n).setRateBps(1_000_000).setBufferBits(2_000_000);
        for (int h = 0; h <= hops; h++) {
            r.addRouteQkdnIds(ring.nodeId((from + h) % ring.nodeCount()));
            if (h > 0) {
                r.addRouteQkdlIds(UUID.nameUUIDFromBytes(("link-" + (from + h - 1) % ring.nodeCount() + "-"
                        + (from + h) % ring.nodeCount()).getBytes(java.nio.charset.StandardCharsets.US_ASCII)).toString());
            }
        }
        return r.build();
    }

    private void answered(CommandResult r) {
        Pending p = pending.remove(r.getRequestId());
        if (p == null) {
            return;
        }
        if (r.getResult().getCode() != Status.Code.OK.value() && failed.incrementAndGet() <= 5) {
            System.out.println("install failed: " + r);
        }
        if (p.left.decrementAndGet() == 0) {
            window.release();
            done.countDown();
        }
    }

    /** The controller's end of Sk, reduced to acknowledging the hello and reading results. */
    private final class ScriptedController extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {
        @Override
        public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ConnectRequest r) {
                    if (r.hasHello()) {
                        synchronized (out) {
                            out.onNext(ConnectResponse.newBuilder().setHelloAck(HelloAck.newBuilder()
                                    .setControllerId("scripted")).build());
                        }
                        streams.put(r.getHello().getQkdnId(), out);
                    } else if (r.hasCommandResult()) {
                        answered(r.getCommandResult());
                    } else if (r.hasCommandResults()) {
                        r.getCommandResults().getResultsList().forEach(SkInstallMain.this::answered);
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }

    private static String role(String thread) {
        if (thread.startsWith("bench-ctl-")) {
            return "scripted controller (bench-ctl-*)";
        }
        if (thread.startsWith("grpc-default-")) {
            return "key managers' gRPC loops/executor";
        }
        if (thread.startsWith("sk-client-") || thread.startsWith("sk-remove-")) {
            return "key managers' Sk threads";
        }
        if (thread.startsWith("kms-store-sync")) {
            return "key managers' store sync";
        }
        if (thread.startsWith("key-service-refill")) {
            return "key managers' refill";
        }
        return "rest: " + thread.replaceAll("[0-9]+", "#");
    }

    private static java.util.concurrent.ThreadFactory named(String prefix) {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }
}

package org.qkdnf.bench.etsi014;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.SSLException;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslHandler;
import io.netty.util.concurrent.DefaultThreadFactory;
import org.HdrHistogram.ConcurrentHistogram;
import org.HdrHistogram.Histogram;
import org.qkdnf.bench.cpu.ThreadCpu;
import org.qkdnf.common.tls.TlsFiles;

/**
 * ETSI GS QKD 014 load over HTTPS with client certificates on {@code connections} pinned keep-alive
 * connections, each with at most one request outstanding (HTTP/1.1 without pipelining), in one of
 * two loops:
 *
 * <ul>
 *   <li><b>closed</b> (no rate given): a response is answered at once with the next request, so the
 *       servers run flat out and the figures are the saturation throughput and its latency;</li>
 *   <li><b>constant rate</b> ({@code ratePerSecond}, as wrk2 does it): operations are due at fixed
 *       intervals ({@link Pacer}), spread round-robin over the connections; one due while its
 *       connection is still busy waits for it, and latency is measured from when the operation was
 *       due, not when it was sent, so a slow answer also counts against the operations queued
 *       behind it (no coordinated omission). This gives the latency an application sees at a given
 *       load, such as the reference's throughput.</li>
 * </ul>
 *
 * Three kinds of operation:
 *
 * <ul>
 *   <li>{@link Mode#ENC}: {@code GET enc_keys?number=1&size=256} at the master's KME, one
 *       operation per request;</li>
 *   <li>{@link Mode#PAIR}: each lane holds a connection to the master's KME (as the master SAE)
 *       and one to the slave's (as the slave SAE); one operation is {@code enc_keys} then
 *       {@code GET dec_keys?key_ID=...} for the key just obtained, and the two keys are compared;</li>
 *   <li>{@link Mode#STATUS}: {@code GET status} at the master's KME: the same TLS, HTTP and
 *       authorisation path without touching key or disk, as a ceiling for the other two.</li>
 * </ul>
 *
 * <p>Latency is from writing an operation's first request (closed loop) or from when it was due
 * (constant rate) to reading its last response, in microseconds, into an HdrHistogram; only
 * operations that start and end inside the measurement window count (constant rate: that end in
 * it). Answers other than 200 are counted by status and are not operations. Every 200 is
 * checked ({@link KeyContainerCheck}: one key, its key_ID a UUID, its key base64 of the size asked;
 * status: the members asked for); a failed check counts as a failure, not an operation.
 *
 * <p>HTTP/1.1 is written and read by hand ({@link HttpResponseReader}; requests are constant bytes
 * but for the key_ID), over the same TLS with client certificates and keep-alive: the driver shares
 * the cores with the servers, so what it spends per request is taken from them.
 *
 * <p>Why Netty and not {@code java.net.http.HttpClient}: over HTTP/1.1 the JDK client opens and
 * pools connections as it likes and queues requests behind them, so "N connections" would not be
 * what the server sees; here the connection count is exact.
 *
 * <p>Threads: the caller's thread sets up and waits; lanes run on the client's event loops.
 */
final class Etsi014LoadDriver {

    enum Mode { ENC, PAIR, STATUS }

    /**
     * What to run.
     *
     * @param masterHost     host of the master's KME (ETSI 014 HTTPS)
     * @param masterPort     its port
     * @param slaveHost      host of the slave's KME
     * @param slavePort      its port
     * @param masterTls      the master SAE's certificate, key and trusted CA
     * @param slaveTls       the slave SAE's
     * @param masterSae      the master SAE id (in the dec_keys path)
     * @param slaveSae       the slave SAE id (in the enc_keys path)
     * @param mode           ENC or PAIR
     * @param connections    lanes (in PAIR mode each lane has two connections)
     * @param keySizeBits    size of the one key each enc_keys asks for
     * @param warmupMillis   load before measuring
     * @param measureMillis  measurement window
     * @param clientThreads  event loop threads of the client
     * @param ratePerSecond  operations due per second over all connections; 0 for the closed loop
     */
    record Settings(String masterHost, int masterPort, String slaveHost, int slavePort, TlsFiles masterTls,
                    TlsFiles slaveTls, String masterSae, String slaveSae, Mode mode, int connections, int keySizeBits,
                    long warmupMillis, long measureMillis, int clientThreads, double ratePerSecond) {
        Settings {
            Objects.requireNonNull(mode, "mode");
            if (connections < 1) {
                throw new IllegalArgumentException("connections: at least 1, got " + connections);
            }
            if (!(ratePerSecond >= 0) || Double.isInfinite(ratePerSecond)) {
                throw new IllegalArgumentException("rate: a finite number of operations per second >= 0 (0: closed "
                        + "loop), got " + ratePerSecond);
            }
        }

        boolean constantRate() {
            return ratePerSecond > 0;
        }
    }

    /**
     * What was measured.
     *
     * @param operations      completed operations inside the window
     * @param seconds         length of the window
     * @param p50Micros       median latency of an operation
     * @param p90Micros       90th percentile
     * @param p99Micros       99th percentile
     * @param p999Micros      99.9th percentile
     * @param maxMicros       worst
     * @param errorsByStatus  non-200 answers inside the window, by HTTP status
     * @param failures        connections lost, responses that could not be read or failed the check, keys
     *                        that differed
     * @param firstErrorBody  the body of the first answer of each non-200 status (the ETSI error message)
     * @param firstFailure    what the first failure was, or null
     * @param cpuSeconds      CPU time of this whole JVM in the window (servers, driver, relay, GC, JIT)
     * @param cpuByThreads    CPU seconds in the window per thread group ({@link ThreadCpu}), largest first;
     *                        the driver's own event loops are {@code etsi014-driver-#-#}
     */
    record Result(Settings settings, long operations, double seconds, long p50Micros, long p90Micros, long p99Micros,
                  long p999Micros, long maxMicros, Map<Integer, Long> errorsByStatus, long failures,
                  Map<Integer, String> firstErrorBody, String firstFailure, double cpuSeconds,
                  Map<String, Double> cpuByThreads) {

        double operationsPerSecond() {
            return operations / seconds;
        }

        /** Cores this JVM got on average during the window. */
        double cores() {
            return cpuSeconds / seconds;
        }

        /** CPU of the whole JVM per completed operation, microseconds. */
        double cpuMicrosPerOperation() {
            return operations == 0 ? Double.NaN : cpuSeconds * 1e6 / operations;
        }

        long errors() {
            return errorsByStatus.values().stream().mapToLong(Long::longValue).sum();
        }
    }

    private final Settings s;
    private final Histogram latency = new ConcurrentHistogram(TimeUnit.SECONDS.toMicros(60), 3);
    private final AtomicLong operations = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();
    private final AtomicReference<String> firstFailure = new AtomicReference<>();
    private final Map<Integer, AtomicLong> errors = new ConcurrentHashMap<>();
    private final Map<Integer, String> errorBodies = new ConcurrentHashMap<>();
    private volatile long windowStart = Long.MAX_VALUE;
    private volatile long windowEnd = Long.MAX_VALUE;
    private volatile boolean stopping;
    private long cpuStart;
    private long cpuEnd;
    private Map<String, Double> cpuByThreads = Map.of();
    private final AtomicLong idleLanes = new AtomicLong();
    /** The first request of every operation, encoded once; each write sends a duplicate (own indices). */
    private final ByteBuf encRequest;
    private final String decUriPrefix;
    private final String statusMember;

    private Etsi014LoadDriver(Settings s) {
        this.s = s;
        this.encRequest = Unpooled.unreleasableBuffer(Unpooled.directBuffer().writeBytes(request(
                "/api/v1/keys/" + s.slaveSae() + (s.mode() == Mode.STATUS ? "/status"
                        : "/enc_keys?number=1&size=" + s.keySizeBits())).getBytes(StandardCharsets.US_ASCII)));
        this.decUriPrefix = "/api/v1/keys/" + s.masterSae() + "/dec_keys?key_ID=";
        this.statusMember = "\"key_size\":" + s.keySizeBits() + ",";
    }

    static Result run(Settings settings) throws Exception {
        return new Etsi014LoadDriver(settings).execute();
    }

    private Result execute() throws Exception {
        SslContext masterSsl = client(s.masterTls());
        SslContext slaveSsl = s.mode() == Mode.PAIR ? client(s.slaveTls()) : null;
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(s.clientThreads(),
                new DefaultThreadFactory("etsi014-driver"), NioIoHandler.newFactory());
        List<Lane> lanes = new ArrayList<>();
        try {
            for (int i = 0; i < s.connections(); i++) {
                Lane lane = new Lane();
                lane.enc = connect(group, masterSsl, s.masterHost(), s.masterPort(), lane);
                if (slaveSsl != null) {
                    // Same event loop as the lane's enc connection: the lane's state has one thread.
                    lane.dec = connect(lane.enc.eventLoop(), slaveSsl, s.slaveHost(), s.slavePort(), lane);
                }
                lanes.add(lane);
            }
            Pacer pacer = null;
            if (s.constantRate()) {
                pacer = new Pacer(lanes, s.ratePerSecond());
                pacer.start();
            } else {
                for (Lane lane : lanes) {
                    lane.enc.eventLoop().execute(lane::next);
                }
            }
            Thread.sleep(s.warmupMillis());
            ThreadCpu threads = ThreadCpu.start();
            cpuStart = ThreadCpu.processCpuNanos();
            windowStart = System.nanoTime();
            Thread.sleep(s.measureMillis());
            windowEnd = System.nanoTime();
            cpuEnd = ThreadCpu.processCpuNanos();
            cpuByThreads = seconds(threads.nanosByGroup());
            stopping = true;
            if (pacer != null) {
                pacer.join(TimeUnit.SECONDS.toMillis(10));
                for (Lane lane : lanes) {
                    lane.enc.eventLoop().execute(lane::next);  // lanes left idle by the pacer finish now
                }
            }
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (idleLanes.get() < lanes.size() && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
        } finally {
            stopping = true;
            for (Lane lane : lanes) {
                lane.close();
            }
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(5, TimeUnit.SECONDS);
        }
        Map<Integer, Long> byStatus = new TreeMap<>();
        errors.forEach((k, v) -> byStatus.put(k, v.get()));
        return new Result(s, operations.get(), (windowEnd - windowStart) / 1e9,
                latency.getValueAtPercentile(50), latency.getValueAtPercentile(90), latency.getValueAtPercentile(99),
                latency.getValueAtPercentile(99.9), latency.getMaxValue(), byStatus, failures.get(),
                new TreeMap<>(errorBodies), firstFailure.get(), (cpuEnd - cpuStart) / 1e9, cpuByThreads);
    }

    private static Map<String, Double> seconds(Map<String, Long> nanos) {
        Map<String, Double> out = new java.util.LinkedHashMap<>();
        nanos.forEach((group, n) -> out.put(group, n / 1e9));
        return out;
    }

    private static SslContext client(TlsFiles tls) throws SSLException {
        return SslContextBuilder.forClient()
                .keyManager(tls.certificateChain().toFile(), tls.privateKey().toFile())
                .trustManager(tls.trustedCa().toFile())
                .protocols("TLSv1.3", "TLSv1.2")
                .build();
    }

    private Channel connect(EventLoopGroup group, SslContext ssl, String host, int port, Lane lane)
            throws InterruptedException {
        Channel ch = new Bootstrap().group(group).channel(NioSocketChannel.class)
                .option(ChannelOption.TCP_NODELAY, true)
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                .handler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel c) {
                        c.pipeline().addLast("tls", ssl.newHandler(c.alloc(), host, port));
                        c.pipeline().addLast("http", new HttpResponseReader());
                        c.pipeline().addLast("lane", lane.handler());
                    }
                })
                .connect(host, port).sync().channel();
        // Handshake before the clock starts, so that the window measures requests, not TLS setup.
        if (!ch.pipeline().get(SslHandler.class).handshakeFuture().await(30, TimeUnit.SECONDS)
                || !ch.pipeline().get(SslHandler.class).handshakeFuture().isSuccess()) {
            throw new IllegalStateException("TLS handshake with " + host + ":" + port + " failed",
                    ch.pipeline().get(SslHandler.class).handshakeFuture().cause());
        }
        return ch;
    }

    /** An operation of {@code lane} due at {@code nanos} (nanoTime). */
    private record Due(Lane lane, long nanos) {
    }

    /**
     * Makes operations due at {@code rate} per second, round-robin over the lanes. Parking is coarse
     * (tens of microseconds), so each wake-up hands out every operation due by then, with its own
     * due time, in one task per event loop (a task per operation would wake the loops' selectors
     * tens of thousands of times a second, CPU the servers then lack): a late wake-up delays the
     * send, and the measured latency includes that delay, as it would an application's.
     *
     * <p>Threads: its own thread; it touches the lanes only through their event loops.
     */
    private final class Pacer extends Thread {
        private final List<Lane> lanes;
        private final double intervalNanos;

        Pacer(List<Lane> lanes, double rate) {
            super("etsi014-pacer");
            setDaemon(true);
            this.lanes = lanes;
            this.intervalNanos = 1e9 / rate;
        }

        @Override
        public void run() {
            long start = System.nanoTime();
            long k = 0;
            Map<EventLoop, List<Due>> batches = new IdentityHashMap<>();
            while (!stopping) {
                long now = System.nanoTime();
                long due = start + (long) (k * intervalNanos);
                while (due <= now) {
                    Lane lane = lanes.get((int) (k % lanes.size()));
                    batches.computeIfAbsent(lane.enc.eventLoop(), l -> new ArrayList<>()).add(new Due(lane, due));
                    k++;
                    due = start + (long) (k * intervalNanos);
                }
                for (Map.Entry<EventLoop, List<Due>> b : batches.entrySet()) {
                    List<Due> ops = b.getValue();
                    b.getKey().execute(() -> ops.forEach(op -> op.lane().due(op.nanos())));
                }
                batches.clear();
                java.util.concurrent.locks.LockSupport.parkNanos(due - now);
            }
        }
    }

    /**
     * One connection (two in PAIR mode) with one operation at a time, all on one event loop. In the
     * closed loop each completion starts the next operation; at a constant rate the pacer's due
     * times queue in {@link #waiting} while an operation is in flight.
     */
    private final class Lane {
        Channel enc;
        Channel dec;
        /** When the operation in flight was due (constant rate) or sent (closed loop), nanoTime. */
        long started;
        String encKey;
        boolean done;
        boolean busy;
        /** Constant rate: due times of operations not sent yet, oldest first. */
        final java.util.ArrayDeque<Long> waiting = new java.util.ArrayDeque<>();

        SimpleChannelInboundHandler<HttpResponseReader.Response> handler() {
            return new SimpleChannelInboundHandler<>() {
                @Override
                protected void channelRead0(ChannelHandlerContext ctx, HttpResponseReader.Response r) {
                    if (ctx.channel() == enc) {
                        onEnc(r);
                    } else {
                        onDec(r);
                    }
                }

                @Override
                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                    fail("connection: " + cause);
                    ctx.close();
                }

                @Override
                public void channelInactive(ChannelHandlerContext ctx) {
                    if (!stopping) {
                        fail("connection closed by the server");
                    }
                    finish();
                }
            };
        }

        /** Constant rate: an operation is due. */
        void due(long dueNanos) {
            if (stopping) {
                return;
            }
            if (busy) {
                waiting.add(dueNanos);
            } else {
                send(dueNanos);
            }
        }

        /** The operation in flight is over: start the next one, if one is due (or always, closed loop). */
        void next() {
            busy = false;
            if (stopping) {
                finish();
                return;
            }
            if (!s.constantRate()) {
                send(System.nanoTime());
            } else if (!waiting.isEmpty()) {
                send(waiting.poll());
            }
        }

        private void send(long startNanos) {
            busy = true;
            started = startNanos;
            enc.writeAndFlush(encRequest.duplicate());
        }

        void onEnc(HttpResponseReader.Response r) {
            if (r.status() != 200) {
                error(r);
                next();
                return;
            }
            if (s.mode() == Mode.STATUS) {
                if (r.body().contains(statusMember)) {
                    complete();
                } else {
                    fail("status: no " + statusMember + " in " + r.body());
                    next();
                }
                return;
            }
            KeyContainerCheck.Key k;
            try {
                k = KeyContainerCheck.check(r.body(), s.keySizeBits() / 8);
            } catch (IllegalArgumentException e) {
                fail("enc_keys: " + e.getMessage());
                next();
                return;
            }
            if (dec == null) {
                complete();
                return;
            }
            encKey = k.keyBase64();
            dec.writeAndFlush(Unpooled.wrappedBuffer(request(decUriPrefix + k.keyId())
                    .getBytes(StandardCharsets.US_ASCII)));
        }

        void onDec(HttpResponseReader.Response r) {
            if (r.status() != 200) {
                error(r);
                next();
                return;
            }
            try {
                if (KeyContainerCheck.check(r.body(), s.keySizeBits() / 8).keyBase64().equals(encKey)) {
                    complete();
                    return;
                }
                fail("dec_keys: another key than enc_keys gave under the same key_ID");
            } catch (IllegalArgumentException e) {
                fail("dec_keys: " + e.getMessage());
            }
            next();
        }

        private void complete() {
            long now = System.nanoTime();
            // Closed loop: operations wholly inside the window. Constant rate: every operation that
            // ends in it, so a backlog built before the window (due earlier, answered late) counts
            // with its whole delay instead of dropping out.
            boolean counted = s.constantRate() ? now >= windowStart && now <= windowEnd
                    : started >= windowStart && now <= windowEnd;
            if (counted) {
                operations.incrementAndGet();
                latency.recordValue(Math.max(1, (now - started) / 1000));
            }
            next();
        }

        private void error(HttpResponseReader.Response r) {
            errorBodies.computeIfAbsent(r.status(), k -> r.body());
            long now = System.nanoTime();
            if (now >= windowStart && now <= windowEnd) {
                errors.computeIfAbsent(r.status(), k -> new AtomicLong()).incrementAndGet();
            }
        }

        private synchronized void finish() {
            if (!done) {
                done = true;
                idleLanes.incrementAndGet();
            }
        }

        void close() {
            if (enc != null) {
                enc.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
            if (dec != null) {
                dec.close().awaitUninterruptibly(2, TimeUnit.SECONDS);
            }
        }
    }

    private void fail(String what) {
        failures.incrementAndGet();
        firstFailure.compareAndSet(null, what);
    }

    /** A keep-alive HTTP/1.1 GET. */
    private static String request(String uri) {
        return "GET " + uri + " HTTP/1.1\r\nhost: 127.0.0.1\r\naccept: application/json\r\n\r\n";
    }
}

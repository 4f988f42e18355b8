package org.qkdnf.agent.etsi014;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.agent.driver.KeyBlockSource;
import org.qkdnf.agent.driver.NoKeyBlocks;
import org.qkdnf.agent.driver.ModuleInfo;
import org.qkdnf.agent.driver.ModuleReading;
import org.qkdnf.agent.driver.QkdModuleDriver;
import org.qkdnf.common.concurrent.OrderlyShutdown;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A vendor QKD device that hands out key only through its own ETSI GS QKD 014 interface, as
 * commercial devices do. The agent is an SAE of its device: at the <em>master</em> end
 * ({@link PhysQkdRole#PHYS_QKD_ROLE_TRANSMITTER}) it takes key with {@code enc_keys} for the peer
 * device's SAE and publishes each key's key_ID, in order, on a {@code DeviceKeyIdService}; at the
 * <em>slave</em> end ({@link PhysQkdRole#PHYS_QKD_ROLE_RECEIVER}) it subscribes to those key_IDs
 * and takes the same keys from its own device with {@code dec_keys}. Each 014 key becomes one
 * {@link KeyBlock}: block id = key_ID, index = its position in the link's stream, so both ends
 * hold identical blocks under identical ids at identical indices.
 *
 * <p>Key taken from the device is journaled ({@link DeviceJournal}, synced to disk) before it is
 * offered to the key manager or its key_ID to the slave end, and held until the key manager
 * acknowledges it, at most {@code maxBufferedBlocks} blocks (see {@link DeviceLink}); while that is
 * full the driver stops asking the device for key. A restart of the agent therefore loses nothing
 * the device handed out, except key in a device answer that arrived but was not yet journaled. The master end takes key only after the slave end has subscribed in
 * this run from an index it can serve, and only after its own key manager has said where the
 * stream continues, so the two ends never put different key at one index.
 *
 * <p>Reading: status ACTIVE while key arrives, OFF before the first key and after the device (or
 * the key_ID stream) has failed for {@value #OFF_AFTER_MS} ms, PASSIVE when disabled; eskr is the
 * key rate measured over the last {@value #RATE_WINDOW_MS} ms. ETSI 014 exposes neither QBER nor
 * channel attenuation (ETSI 015's physical performance data is not reachable through it): both
 * are reported as 0, and the module type says so.
 *
 * <p>Threads: the agent loop calls the {@link QkdModuleDriver} methods; a fetch thread talks to
 * the device (one request at a time, back-off on failure); an id thread serves or follows the
 * key_ID stream.
 */
public final class Etsi014DeviceDriver implements QkdModuleDriver, AutoCloseable {

    static final long OFF_AFTER_MS = 5000;
    static final long RATE_WINDOW_MS = 10_000;
    static final int DEC_BATCH = 128;
    static final int DEFAULT_MAX_BUFFERED_BLOCKS = 1024;
    private static final long FETCH_PERIOD_MS = 20;
    private static final long UNAUTHORIZED_RETRY_MS = 10_000;
    private static final long MIN_BACKOFF_MS = 200;
    private static final long MAX_BACKOFF_MS = 5000;
    static final String TYPE = "vendor QKD device through ETSI GS QKD 014"
            + " (QBER and channel attenuation not exposed by 014: reported as 0)";
    private static final Logger log = LoggerFactory.getLogger(Etsi014DeviceDriver.class);

    /**
     * What the driver needs.
     *
     * @param role              TRANSMITTER: master end (enc_keys); RECEIVER: slave end (dec_keys)
     * @param qkdiId            the module, for thread names and logs
     * @param remoteQkdnId      the node at the link's far end (the only one allowed on the key_ID stream)
     * @param device            the client of this end's device
     * @param deviceName        the device's address, for the module model
     * @param peerSaeId         the SAE id of the far end's agent at its device
     * @param blockBits         key size asked for, bits: one 014 key per block
     * @param maxBufferedBlocks most blocks held until acknowledged
     * @param keyIdListen       master end: where the key_ID service listens
     * @param keyIdTarget       slave end: the master end's key_ID service, host:port
     * @param nodeTls           this node's certificate (OU qkd-node), for the key_ID stream
     * @param journalDir        where the module's journal of unacknowledged key lives
     */
    public record Settings(PhysQkdRole role, String qkdiId, String remoteQkdnId, Etsi014Client device,
                           String deviceName, String peerSaeId, int blockBits, int maxBufferedBlocks,
                           InetSocketAddress keyIdListen, String keyIdTarget, TlsFiles nodeTls, Path journalDir) {
        public Settings {
            if (journalDir == null) {
                throw new IllegalArgumentException("device.journal_dir: required");
            }
            if (role != PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER && role != PhysQkdRole.PHYS_QKD_ROLE_RECEIVER) {
                throw new IllegalArgumentException("role: must be master (TRANSMITTER) or slave (RECEIVER)");
            }
            if (role == PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER && keyIdListen == null) {
                throw new IllegalArgumentException("device.key_ids.listen: required at the master end");
            }
            if (role == PhysQkdRole.PHYS_QKD_ROLE_RECEIVER && keyIdTarget == null) {
                throw new IllegalArgumentException("device.key_ids.target: required at the slave end");
            }
            if (maxBufferedBlocks < 1) {
                throw new IllegalArgumentException("device.max_buffered_blocks: must be positive");
            }
        }
    }

    private final Settings settings;
    private final boolean master;
    private final ModuleInfo info;
    private final ScheduledExecutorService fetcher;
    private final ScheduledExecutorService idThread;
    private final KeyIdServer server;
    private final KeyIdFollower follower;
    private final DeviceJournal journal;

    private volatile DeviceLink link;
    private volatile boolean enabled = true;

    // Fetch thread.
    private long nextAttemptNanos;
    private long backoffMs = MIN_BACKOFF_MS;
    private Etsi014Exception.Kind failingKind;
    private boolean sizeRefused;

    // Agent loop: samples of (time, volume) for the measured rate.
    private final ArrayDeque<long[]> samples = new ArrayDeque<>();

    private Etsi014DeviceDriver(Settings settings) throws IOException {
        this.settings = settings;
        this.master = settings.role() == PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER;
        this.journal = DeviceJournal.open(settings.journalDir(), settings.qkdiId());
        this.info = new ModuleInfo("ETSI GS QKD 014 device at " + settings.deviceName(), TYPE, settings.role(),
                1530, 1565, 0);
        String tag = settings.qkdiId().substring(0, Math.min(8, settings.qkdiId().length()));
        this.fetcher = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "etsi014-fetch-" + tag));
        this.idThread = new ScheduledThreadPoolExecutor(1, r -> daemon(r, "etsi014-ids-" + tag));
        if (master) {
            server = new KeyIdServer(settings.keyIdListen(), settings.nodeTls(), settings.remoteQkdnId(),
                    () -> link);
            follower = null;
        } else {
            server = null;
            follower = new KeyIdFollower(settings.keyIdTarget(), GrpcTls.channelCredentials(settings.nodeTls()),
                    () -> link);
        }
    }

    /** Starts the driver: the key_ID service (master end) and the fetch and id threads. */
    public static Etsi014DeviceDriver start(Settings settings) throws IOException {
        Etsi014DeviceDriver d = new Etsi014DeviceDriver(settings);
        d.fetcher.scheduleWithFixedDelay(d::fetchSafely, 0, FETCH_PERIOD_MS, TimeUnit.MILLISECONDS);
        d.idThread.scheduleWithFixedDelay(d::idsSafely, 0, FETCH_PERIOD_MS, TimeUnit.MILLISECONDS);
        return d;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    /** The port of the key_ID service (master end), or -1. */
    public int keyIdPort() {
        return server == null ? -1 : server.port();
    }

    @Override
    public ModuleInfo info() {
        return info;
    }

    @Override
    public void attach(String qkdlId, Instant now) {
        DeviceLink l;
        try {
            l = new DeviceLink(qkdlId, settings.blockBits(), settings.maxBufferedBlocks(), journal);
        } catch (IOException e) {
            throw new UncheckedIOException("link " + qkdlId + ": " + e.getMessage(), e);
        }
        link = l;
        samples.clear();
        log.info("link {}: {} end on device {} (peer SAE {}), {} unacknowledged blocks from the journal", qkdlId,
                master ? "master" : "slave", settings.deviceName(), settings.peerSaeId(), l.heldBlocks());
    }

    @Override
    public void detach(Instant now) {
        link = null;
        samples.clear();
    }

    @Override
    public void setEnabled(boolean enabled, Instant now) {
        this.enabled = enabled;
    }

    @Override
    public ModuleReading read(Instant now) {
        DeviceLink l = link;
        if (l == null) {
            return new ModuleReading(QkdlStatus.QKDL_STATUS_OFF, 0, 0, 0, 0);
        }
        long volume = l.volumeBits();
        long t = now.toEpochMilli();
        samples.addLast(new long[] {t, volume});
        while (samples.size() > 2 && samples.peekFirst()[0] < t - RATE_WINDOW_MS) {
            samples.removeFirst();
        }
        long[] first = samples.peekFirst();
        double rate = t > first[0] ? (volume - first[1]) * 1000.0 / (t - first[0]) : 0;
        QkdlStatus status = !enabled ? QkdlStatus.QKDL_STATUS_PASSIVE
                : l.healthy(TimeUnit.MILLISECONDS.toNanos(OFF_AFTER_MS)) ? QkdlStatus.QKDL_STATUS_ACTIVE
                : QkdlStatus.QKDL_STATUS_OFF;
        // QBER and attenuation: not available through ETSI 014 (see the class comment).
        return new ModuleReading(status, rate, 0, 0, volume);
    }

    @Override
    public KeyBlockSource keys() {
        DeviceLink l = link;
        return l != null ? l : NoKeyBlocks.INSTANCE;
    }

    @Override
    public void close() {
        // Not interrupted first: an interrupt inside a journal write closes the journal's file channel.
        OrderlyShutdown.stop(fetcher, Duration.ofSeconds(5));
        OrderlyShutdown.stop(idThread, Duration.ofSeconds(5));
        if (server != null) {
            server.close();
        }
        if (follower != null) {
            follower.close();
        }
        DeviceLink l = link;
        if (l == null) {
            journal.close();
        } else {
            synchronized (l) { // the agent loop may still be acknowledging blocks
                journal.close();
            }
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Fetch thread
    // ---------------------------------------------------------------------------------------------

    private void fetchSafely() {
        try {
            fetch();
        } catch (RuntimeException e) {
            // A scheduled task that throws is never run again: log and carry on instead.
            log.error("device {}: internal error in the fetch loop", settings.deviceName(), e);
        }
    }

    private void fetch() {
        DeviceLink l = link;
        if (l == null || !enabled || !l.positioned() || System.nanoTime() < nextAttemptNanos) {
            return;
        }
        try {
            if (master) {
                fetchMaster(l);
            } else {
                fetchSlave(l);
            }
        } catch (Etsi014Exception e) {
            failed(l, e);
        }
    }

    private void fetchMaster(DeviceLink l) throws Etsi014Exception {
        if (!l.slaveSynced()) {
            return;
        }
        int room = l.room();
        if (room == 0) {
            // The key manager (or the slave end) lags: leave the key in the device.
            return;
        }
        DeviceStatus status = settings.device().status(settings.peerSaeId());
        int bits = settings.blockBits();
        if (bits < status.minKeySizeBits() || bits > status.maxKeySizeBits()) {
            if (!sizeRefused) {
                log.error("link {}: key_block_bits {} is outside the device's key sizes [{}, {}]: no key taken",
                        l.qkdlId(), bits, status.minKeySizeBits(), status.maxKeySizeBits());
                sizeRefused = true;
            }
            l.failing("key_block_bits outside the device's key sizes");
            nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(UNAUTHORIZED_RETRY_MS);
            return;
        }
        sizeRefused = false;
        long available = status.storedKeyCount() * status.keySizeBits() / bits;
        int n = (int) Math.min(Math.min(room, status.maxKeyPerRequest()), available);
        if (n <= 0) {
            l.failing("the device has no key stored");
            nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(MIN_BACKOFF_MS);
            return;
        }
        List<DeviceKey> keys = settings.device().encKeys(settings.peerSaeId(), n, bits);
        l.append(keys, true);
        recovered(l);
    }

    private void fetchSlave(DeviceLink l) throws Etsi014Exception {
        List<UUID> ids = l.nextPending(DEC_BATCH);
        if (ids.isEmpty()) {
            return;
        }
        List<DeviceKey> keys = settings.device().decKeys(settings.peerSaeId(), ids);
        l.appendPending(keys);
        recovered(l);
    }

    private void recovered(DeviceLink l) {
        if (failingKind != null) {
            log.info("link {}: device {} delivers key again", l.qkdlId(), settings.deviceName());
            failingKind = null;
        }
        backoffMs = MIN_BACKOFF_MS;
    }

    private void failed(DeviceLink l, Etsi014Exception e) {
        if (Thread.currentThread().isInterrupted()) {
            return; // closing
        }
        l.failing(e.getMessage());
        long delay;
        if (e.kind() == Etsi014Exception.Kind.UNAUTHORIZED) {
            delay = UNAUTHORIZED_RETRY_MS;
        } else {
            delay = backoffMs;
            backoffMs = Math.min(MAX_BACKOFF_MS, backoffMs * 2);
        }
        nextAttemptNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(delay);
        if (failingKind != e.kind()) {
            // Once per kind of failure: a device that is down for an hour gives one line, not thousands.
            boolean serious = e.kind() == Etsi014Exception.Kind.UNAUTHORIZED
                    || e.kind() == Etsi014Exception.Kind.PROTOCOL
                    || (e.kind() == Etsi014Exception.Kind.BAD_REQUEST && !master);
            String line = "link {}: device {}: {}; retrying with back-off";
            if (serious) {
                log.error(line, l.qkdlId(), settings.deviceName(), e.getMessage());
            } else {
                log.warn(line, l.qkdlId(), settings.deviceName(), e.getMessage());
            }
            failingKind = e.kind();
        } else {
            log.debug("link {}: device {}: {}", l.qkdlId(), settings.deviceName(), e.getMessage());
        }
    }

    // ---------------------------------------------------------------------------------------------
    // Id thread
    // ---------------------------------------------------------------------------------------------

    private void idsSafely() {
        try {
            if (server != null) {
                server.pump();
            } else {
                follower.tick();
            }
        } catch (RuntimeException e) {
            log.error("device {}: internal error in the key_ID stream", settings.deviceName(), e);
        }
    }
}

package org.qkdnf.agent.sim;

import java.time.Duration;
import java.time.Instant;

import org.qkdnf.agent.driver.KeyBlockSource;
import org.qkdnf.agent.driver.NoKeyBlocks;
import org.qkdnf.agent.driver.ModuleInfo;
import org.qkdnf.agent.driver.ModuleReading;
import org.qkdnf.agent.driver.QkdModuleDriver;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * A simulated DV-QKD module: the {@link DecoyStateBb84} model over a fibre whose condition follows
 * a {@link FibreSchedule}, producing a {@link DerivedKeyStream} at the rate the model gives.
 *
 * <p>Key volume is the integral of the model's rate over time while the link is attached, enabled
 * and the channel yields key. The integral is split at every scheduled event, so a cut stops key
 * at the instant it happens, and evaluated at the midpoint of steps of at most {@value #MAX_STEP_MS}
 * ms, so a degrading fibre's falling rate is followed closely.
 *
 * <p>Threads: owned by the agent loop (see {@link QkdModuleDriver}); the key stream is shared.
 */
public final class SimulatedQkdModule implements QkdModuleDriver {

    static final long MAX_STEP_MS = 100;
    private static final String MODEL = "qkdnf simulated DV-QKD module";
    private static final String TYPE = "DV-QKD decoy-state BB84";

    private final ChannelParameters channel;
    private final FibreSchedule schedule;
    private final Instant epoch;
    private final KeySeed seed;
    private final int blockBits;
    private final DecoyStateBb84 model;
    private final ModuleInfo info;

    private String attachedLink;
    private boolean enabled = true;
    private Instant last;
    private double keyVolumeBits;
    /** Replaced on attach; read by the key manager's thread through {@link #keys()}. */
    private volatile DerivedKeyStream keys;

    /**
     * @param role      the module's end of the channel
     * @param channel   the fibre and the receiver's detectors
     * @param schedule  faults on the fibre
     * @param epoch     time zero of {@code schedule}; both ends of a link must use the same
     * @param seed      the secret shared with the other end's module
     * @param blockBits size of the key blocks handed to the key manager, bits
     */
    public SimulatedQkdModule(PhysQkdRole role, ChannelParameters channel, FibreSchedule schedule, Instant epoch,
                              KeySeed seed, int blockBits, DecoyStateBb84 model) {
        if (blockBits <= 0 || blockBits % 8 != 0) {
            throw new IllegalArgumentException("key_block_bits: must be a positive multiple of 8, got " + blockBits);
        }
        this.channel = channel;
        this.schedule = schedule;
        this.epoch = epoch;
        this.seed = seed;
        this.blockBits = blockBits;
        this.model = model;
        this.info = new ModuleInfo(MODEL, TYPE, role, 1530, 1565, maxAbsorptionDb(channel, model));
    }

    @Override
    public ModuleInfo info() {
        return info;
    }

    @Override
    public void attach(String qkdlId, Instant now) {
        attachedLink = qkdlId;
        keyVolumeBits = 0;
        last = now;
        keys = new DerivedKeyStream(seed, qkdlId, blockBits);
    }

    @Override
    public void detach(Instant now) {
        advance(now);
        attachedLink = null;
    }

    @Override
    public void setEnabled(boolean enabled, Instant now) {
        advance(now);
        this.enabled = enabled;
    }

    @Override
    public ModuleReading read(Instant now) {
        advance(now);
        double t = secondsSinceEpoch(now);
        double extra = schedule.extraLossDb(t);
        DecoyStateBb84.OperatingPoint op = model.evaluate(channel, extra);
        QkdlStatus status;
        if (!enabled) {
            status = QkdlStatus.QKDL_STATUS_PASSIVE;
        } else if (op.skrBps() > 0) {
            status = QkdlStatus.QKDL_STATUS_ACTIVE;
        } else {
            status = QkdlStatus.QKDL_STATUS_OFF;
        }
        double attDb = channel.fibreLossDb() + extra;
        return new ModuleReading(status, op.skrBps(), op.qber(), attDb, (long) keyVolumeBits);
    }

    @Override
    public KeyBlockSource keys() {
        return keys != null ? keys : NoKeyBlocks.INSTANCE;
    }

    private void advance(Instant now) {
        if (attachedLink == null || last == null || !now.isAfter(last)) {
            return;
        }
        double from = secondsSinceEpoch(last);
        double to = secondsSinceEpoch(now);
        last = now;
        if (!enabled) {
            return;
        }
        double t = from;
        while (t < to) {
            double end = Math.min(Math.min(to, t + MAX_STEP_MS / 1000.0), schedule.nextEventAfter(t));
            double mid = (t + end) / 2;
            keyVolumeBits += model.evaluate(channel, schedule.extraLossDb(mid)).skrBps() * (end - t);
            t = end;
        }
        keys.produced((long) (keyVolumeBits / blockBits));
    }

    private double secondsSinceEpoch(Instant t) {
        return Duration.between(epoch, t).toNanos() / 1e9;
    }

    /** The attenuation at which the model's rate reaches zero, found by bisection. */
    private static double maxAbsorptionDb(ChannelParameters channel, DecoyStateBb84 model) {
        double lo = 0;
        double hi = 100;
        double own = channel.fibreLossDb();
        if (model.evaluate(channel, -own).skrBps() <= 0) {
            return 0;
        }
        for (int i = 0; i < 40; i++) {
            double mid = (lo + hi) / 2;
            if (model.evaluate(channel, mid - own).skrBps() > 0) {
                lo = mid;
            } else {
                hi = mid;
            }
        }
        return Math.round(lo * 10) / 10.0;
    }
}

package org.qkdnf.controller.standalone;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

import org.qkdnf.common.tls.TlsFiles;

/**
 * How to run a standalone controller. Immutable; build with {@link #builder()}.
 *
 * <p>The tunables (QBER threshold, command timeout, report interval) are also persisted in the data
 * directory: a value given here overrides and replaces the stored one; a value not given keeps the
 * stored one (or the default on a first start).
 */
public final class StandaloneControllerConfig {

    private final String sqHost;
    private final int sqPort;
    private final TlsFiles tls;
    private final Path dataDir;
    private final Double qberDegradedThreshold;
    private final Duration commandTimeout;
    private final Integer reportIntervalMs;
    private final String controllerId;

    private StandaloneControllerConfig(Builder b) {
        this.sqHost = b.sqHost;
        this.sqPort = b.sqPort;
        this.tls = Objects.requireNonNull(b.tls, "tls");
        this.dataDir = Objects.requireNonNull(b.dataDir, "dataDir");
        this.qberDegradedThreshold = b.qberDegradedThreshold;
        this.commandTimeout = b.commandTimeout;
        this.reportIntervalMs = b.reportIntervalMs;
        this.controllerId = b.controllerId;
    }

    public static Builder builder() {
        return new Builder();
    }

    public String sqHost() {
        return sqHost;
    }

    public int sqPort() {
        return sqPort;
    }

    public TlsFiles tls() {
        return tls;
    }

    public Path dataDir() {
        return dataDir;
    }

    /** Set only when given explicitly. */
    public Optional<Double> qberDegradedThreshold() {
        return Optional.ofNullable(qberDegradedThreshold);
    }

    /** Set only when given explicitly. */
    public Optional<Duration> commandTimeout() {
        return Optional.ofNullable(commandTimeout);
    }

    /** Set only when given explicitly. */
    public Optional<Integer> reportIntervalMs() {
        return Optional.ofNullable(reportIntervalMs);
    }

    public String controllerId() {
        return controllerId;
    }

    /** Builder; {@code tls} and {@code dataDir} are required. */
    public static final class Builder {
        private String sqHost = "127.0.0.1";
        private int sqPort;
        private TlsFiles tls;
        private Path dataDir;
        private Double qberDegradedThreshold;
        private Duration commandTimeout;
        private Integer reportIntervalMs;
        private String controllerId = "qkdnf-controller";

        private Builder() {
        }

        /** Address to bind; default 127.0.0.1. */
        public Builder sqHost(String host) {
            this.sqHost = Objects.requireNonNull(host, "sqHost");
            return this;
        }

        /** Port to bind; 0 (default) picks a free one, see {@link StandaloneController#sqPort()}. */
        public Builder sqPort(int port) {
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("sqPort: must be in [0, 65535], was " + port);
            }
            this.sqPort = port;
            return this;
        }

        public Builder tls(TlsFiles files) {
            this.tls = Objects.requireNonNull(files, "tls");
            return this;
        }

        /** Directory of the embedded database (created if missing). */
        public Builder dataDir(Path dir) {
            this.dataDir = Objects.requireNonNull(dir, "dataDir");
            return this;
        }

        /** QBER above which an ACTIVE link is degraded; default 0.08. */
        public Builder qberDegradedThreshold(double threshold) {
            if (!(threshold > 0 && threshold <= 0.5)) {
                throw new IllegalArgumentException("qberDegradedThreshold: must be in (0, 0.5], was " + threshold);
            }
            this.qberDegradedThreshold = threshold;
            return this;
        }

        /** Default timeout of commands sent to agents; default 10 s. */
        public Builder commandTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "commandTimeout");
            if (timeout.isZero() || timeout.isNegative()) {
                throw new IllegalArgumentException("commandTimeout: must be positive, was " + timeout);
            }
            this.commandTimeout = timeout;
            return this;
        }

        /** Reporting interval asked of agents in HelloAck, ms; 0 (default) keeps theirs. */
        public Builder reportIntervalMs(int ms) {
            if (ms < 0) {
                throw new IllegalArgumentException("reportIntervalMs: must be >= 0, was " + ms);
            }
            this.reportIntervalMs = ms;
            return this;
        }

        /** Sent to agents in HelloAck. */
        public Builder controllerId(String id) {
            this.controllerId = Objects.requireNonNull(id, "controllerId");
            return this;
        }

        public StandaloneControllerConfig build() {
            return new StandaloneControllerConfig(this);
        }
    }
}

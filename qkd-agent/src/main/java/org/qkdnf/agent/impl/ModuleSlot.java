package org.qkdnf.agent.impl;

import java.time.Instant;

import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.driver.ModuleReading;
import org.qkdnf.agent.driver.QkdModuleDriver;

/**
 * One module of the node and the link on it, if any. Owned by the agent loop thread.
 */
final class ModuleSlot {

    static final double DEFAULT_WAVELENGTH_NM = 1550;

    final AgentConfig.Module config;
    final QkdModuleDriver driver;
    /** The link on this module, {@code null} when none. */
    String qkdlId;
    boolean enabled;
    double wavelengthNm = DEFAULT_WAVELENGTH_NM;
    /** The latest reading, taken by the loop's tick. */
    ModuleReading reading;
    /** Key volume and time of the last performance report, to measure skr over the interval. */
    long volumeAtLastReport;
    Instant lastReportAt;

    ModuleSlot(AgentConfig.Module config, QkdModuleDriver driver) {
        this.config = config;
        this.driver = driver;
    }

    void attach(String qkdlId, boolean enabled, Instant now) {
        this.qkdlId = qkdlId;
        this.enabled = enabled;
        driver.attach(qkdlId, now);
        driver.setEnabled(enabled, now);
        volumeAtLastReport = 0;
        lastReportAt = now;
        reading = driver.read(now);
    }

    void detach(Instant now) {
        driver.detach(now);
        qkdlId = null;
        reading = null;
    }

    boolean hasLink() {
        return qkdlId != null;
    }
}

package org.qkdnf.agent.driver;

import java.time.Instant;

/**
 * One QKD module (an ETSI GS QKD 015 {@code qkd_interface}) and the quantum channel behind it, as
 * the agent sees it. A module generates key for at most one link at a time.
 *
 * <p>Threads: the agent calls every method except {@link #keys()} from its single loop thread, in
 * non-decreasing time order; implementations need no locking for their channel state. The
 * {@link KeyBlockSource} returned by {@link #keys()} is read by the key manager's thread and must be
 * safe for that.
 */
public interface QkdModuleDriver {

    /** What the module is; does not change while the agent runs. */
    ModuleInfo info();

    /**
     * Starts key generation for link {@code qkdlId} (a link was created on this module). Key volume
     * counts from zero again; key blocks of a link with another id are unrelated to earlier ones.
     */
    void attach(String qkdlId, Instant now);

    /** Stops key generation (the link was deleted). */
    void detach(Instant now);

    /** Enables or disables key generation on the attached link ({@code qkdl_enable}). */
    void setEnabled(boolean enabled, Instant now);

    /**
     * Advances the module to {@code now} (producing the key the channel yields until then) and
     * returns its state at {@code now}.
     */
    ModuleReading read(Instant now);

    /** The key blocks produced on the attached link so far. */
    KeyBlockSource keys();
}

package org.qkdnf.agent.driver;

import java.util.NoSuchElementException;

/**
 * The key blocks a module has produced on its attached link, in order. Safe for use from any thread.
 */
public interface KeyBlockSource {

    /** The link the blocks belong to, or {@code null} when no link is attached. */
    String qkdlId();

    /** Size of every block, bits. */
    int blockBits();

    /** How many blocks exist: blocks {@code 0 .. producedBlocks() - 1} can be read. */
    long producedBlocks();

    /**
     * The consumer already holds every block below {@code index} (produced in an earlier run of the
     * agent, before a restart): production continues after them, so nothing is produced twice.
     * Never moves backwards.
     */
    void advanceTo(long index);

    /**
     * Block {@code index}.
     *
     * @throws NoSuchElementException if the block has not been produced (yet)
     */
    KeyBlock block(long index);
}

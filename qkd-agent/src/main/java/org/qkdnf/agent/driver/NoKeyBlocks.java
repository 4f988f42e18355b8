package org.qkdnf.agent.driver;

import java.util.NoSuchElementException;

/** The key block source of a module before its first link is attached: no link, no blocks. */
public enum NoKeyBlocks implements KeyBlockSource {
    INSTANCE;

    @Override
    public String qkdlId() {
        return null;
    }

    @Override
    public int blockBits() {
        return 0;
    }

    @Override
    public long producedBlocks() {
        return 0;
    }

    @Override
    public void advanceTo(long index) {
    }

    @Override
    public KeyBlock block(long index) {
        throw new NoSuchElementException("no link attached");
    }
}

package org.qkdnf.kms.store;

import java.nio.ByteBuffer;
import java.util.UUID;

import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/**
 * MVStore keys that are UUIDs, written as their 16 bytes and ordered as unsigned 128-bit numbers
 * (the order of {@link UUID#toString()}), so time-ordered (version 7) ids sort by time. Why not
 * strings: the key-assignment maps are written at the key rate and the route map at the install
 * rate, and 36 characters per key written and compared one by one cost more than the records
 * themselves. Stateless, so any thread.
 */
final class UuidDataType extends BasicDataType<UUID> {

    static final UuidDataType INSTANCE = new UuidDataType();

    private UuidDataType() {
    }

    @Override
    public UUID[] createStorage(int size) {
        return new UUID[size];
    }

    @Override
    public int compare(UUID a, UUID b) {
        int c = Long.compareUnsigned(a.getMostSignificantBits(), b.getMostSignificantBits());
        return c != 0 ? c : Long.compareUnsigned(a.getLeastSignificantBits(), b.getLeastSignificantBits());
    }

    @Override
    public int getMemory(UUID id) {
        return 32;
    }

    @Override
    public void write(WriteBuffer buff, UUID id) {
        buff.putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    }

    @Override
    public UUID read(ByteBuffer buff) {
        return new UUID(buff.getLong(), buff.getLong());
    }
}

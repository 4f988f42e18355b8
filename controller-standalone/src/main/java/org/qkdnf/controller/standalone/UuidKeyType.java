package org.qkdnf.controller.standalone;

import java.nio.ByteBuffer;
import java.util.UUID;

import org.h2.mvstore.DataUtils;
import org.h2.mvstore.WriteBuffer;
import org.h2.mvstore.type.BasicDataType;

/**
 * String map keys that are almost always canonical (lowercase) UUIDs — service, route and node ids —
 * written as a tag byte and 16 bytes instead of 36 characters. Why: ids are random, so every group
 * commit rewrites most leaf pages of a map, and writing their keys character by character was a
 * fifth of all CPU in a setup-rate profile. Any other string is written as a string, so every key
 * reads back exactly as it was put; keys are compared as strings whatever their stored form.
 * Stateless, so any thread.
 */
final class UuidKeyType extends BasicDataType<String> {

    static final UuidKeyType INSTANCE = new UuidKeyType();

    private static final byte STRING = 0;
    private static final byte UUID_BYTES = 1;

    private UuidKeyType() {
    }

    @Override
    public String[] createStorage(int size) {
        return new String[size];
    }

    @Override
    public int compare(String a, String b) {
        return a.compareTo(b);
    }

    @Override
    public int getMemory(String s) {
        return 24 + 2 * s.length();
    }

    @Override
    public void write(WriteBuffer buff, String s) {
        if (!putCanonicalUuid(buff, s)) {
            buff.put(STRING).putVarInt(s.length()).putStringData(s, s.length());
        }
    }

    @Override
    public String read(ByteBuffer buff) {
        byte tag = buff.get();
        if (tag == UUID_BYTES) {
            return new UUID(buff.getLong(), buff.getLong()).toString();
        }
        if (tag != STRING) {
            throw new IllegalStateException("stored key: unknown tag " + tag);
        }
        return DataUtils.readString(buff);
    }

    /**
     * Writes {@code s} in the compact form when it is 8-4-4-4-12 lowercase hex digits, exactly what
     * {@link UUID#toString()} gives back; writes nothing otherwise. One pass checks and parses:
     * it runs for every key of every page a commit writes.
     */
    private static boolean putCanonicalUuid(WriteBuffer buff, String s) {
        if (s.length() != 36) {
            return false;
        }
        long msb = 0;
        long lsb = 0;
        int digits = 0;
        for (int i = 0; i < 36; i++) {
            char c = s.charAt(i);
            if (i == 8 || i == 13 || i == 18 || i == 23) {
                if (c != '-') {
                    return false;
                }
                continue;
            }
            int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
            if (d < 0) {
                return false;
            }
            if (digits++ < 16) {
                msb = msb << 4 | d;
            } else {
                lsb = lsb << 4 | d;
            }
        }
        buff.put(UUID_BYTES).putLong(msb).putLong(lsb);
        return true;
    }
}

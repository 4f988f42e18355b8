package org.qkdnf.kms.store;

import java.nio.file.Path;
import java.util.Arrays;
import java.util.Random;

import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyPoolException.Reason;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.ReservedKey;

/**
 * The process {@link CrashRestartTest} kills: appends and reserves in a loop on a store file and
 * prints, only after each call returned, what it got:
 * {@code A <nextBlockIndex>} after an append, {@code R <firstBlockIndex> <offsetBits> <lengthBits>}
 * after a reserve, and {@code BAD ...} when reserved bytes differ from the test stream (which the
 * test treats as a failure). Key bytes are never printed.
 *
 * <p>Arguments: store file, key file, qkdl id, block bytes, random seed.
 */
public final class CrashWriterMain {

    private CrashWriterMain() {
    }

    public static void main(String[] args) throws Exception {
        Path storeFile = Path.of(args[0]);
        Path keyFile = Path.of(args[1]);
        String link = args[2];
        int blockBytes = Integer.parseInt(args[3]);
        Random random = new Random(Long.parseLong(args[4]));
        TestStreams stream = new TestStreams(link, blockBytes);
        MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(storeFile, keyFile);
        if (!store.pools().contains(link)) {
            store.definePool(link, 64L * blockBytes * 8);
        }
        System.out.println("READY");
        while (true) {
            // A producer resends from a little before what it believes is acknowledged.
            long next = store.levels(link).nextBlockIndex();
            try {
                long from = Math.max(0, next - 2);
                long ack = store.append(link, stream.blocks(from, 6)).nextBlockIndex();
                System.out.println("A " + ack);
            } catch (KeyPoolException e) {
                if (e.reason() != Reason.POOL_FULL) {
                    throw e;
                }
            }
            for (int i = 0; i < 3; i++) {
                long bits = 8L * (1 + random.nextInt(2 * blockBytes));
                ReservedKey k;
                try {
                    k = store.reserve(link, bits);
                } catch (KeyPoolException e) {
                    if (e.reason() != Reason.INSUFFICIENT_KEY) {
                        throw e;
                    }
                    break;
                }
                KeyRange r = k.range();
                boolean same = Arrays.equals(k.key(), stream.bytes(stream.start(r), k.key().length));
                System.out.println((same ? "R " : "BAD ") + r.firstBlockIndex() + " " + r.offsetBits() + " " + r.lengthBits());
                k.erase();
            }
        }
    }
}

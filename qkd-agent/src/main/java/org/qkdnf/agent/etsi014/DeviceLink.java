package org.qkdnf.agent.etsi014;

import java.io.IOException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import java.util.UUID;

import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.agent.driver.KeyBlockSource;

/**
 * The key stream of one device link at one end: the blocks taken from the device and not yet
 * acknowledged by the key manager, and the key_IDs that travel between the two ends.
 *
 * <p>Every block is in the {@link DeviceJournal} before it can be read, and stays there (with its
 * key_ID at the master end) until acknowledged, so a restart continues where the journal says.
 *
 * <p>Memory is bounded by {@code capacity} blocks: blocks are dropped only when the consumer
 * acknowledges them ({@link #advanceTo}), and the fetcher stops asking the device for key while
 * {@link #room()} is zero (the policy when the key manager lags: key stays in the device, which is
 * where it is safest). At the master end the key_IDs not yet acknowledged by the slave end count
 * against the same bound, so a slave end that lags or is away stops the master end too.
 *
 * <p>Indices: blocks {@code [base, produced)} are held; every block below {@code base} is
 * acknowledged. At the master end key_IDs {@code [idBase, produced)} are held for the slave end.
 * At the slave end key_IDs {@code [produced, produced + pending)} have arrived and wait for
 * {@code dec_keys}.
 *
 * <p>Thread-safe: every method is synchronized on the object.
 */
final class DeviceLink implements KeyBlockSource {

    private final String qkdlId;
    private final int blockBits;
    private final int capacity;
    private final DeviceJournal journal;
    private final ArrayDeque<KeyBlock> blocks = new ArrayDeque<>();
    private long base;
    /** Whether the consumer has said where the stream continues (its first advanceTo). */
    private boolean positioned;
    private long volumeBits;

    // Master end.
    private final ArrayDeque<UUID> ids = new ArrayDeque<>();
    private long idBase;
    private boolean slaveSynced;

    // Slave end.
    private final ArrayDeque<UUID> pending = new ArrayDeque<>();

    // Health, in System.nanoTime() terms; written by the fetcher and the id stream.
    private long lastDeliveryNanos;
    private long failingSinceNanos = -1;
    private String lastProblem;

    /** The link's stream as {@code journal} left it (empty for a new link). */
    DeviceLink(String qkdlId, int blockBits, int capacity, DeviceJournal journal) throws IOException {
        this.qkdlId = qkdlId;
        this.blockBits = blockBits;
        this.capacity = capacity;
        this.journal = journal;
        DeviceJournal.Restored r = journal.restore(qkdlId);
        blocks.addAll(r.blocks());
        base = r.nextIndex() - r.blocks().size();
        ids.addAll(r.ids());
        idBase = r.idBase();
    }

    /** How many blocks the journal gave back at attach (0 for a new link). */
    synchronized int heldBlocks() {
        return blocks.size();
    }

    @Override
    public String qkdlId() {
        return qkdlId;
    }

    @Override
    public int blockBits() {
        return blockBits;
    }

    @Override
    public synchronized long producedBlocks() {
        return base + blocks.size();
    }

    /**
     * The consumer holds every block below {@code index}: drop them. The first call (the key
     * manager's resume position) also fixes where a fresh stream starts. Never moves backwards.
     */
    @Override
    public synchronized void advanceTo(long index) {
        positioned = true;
        while (base < index && !blocks.isEmpty()) {
            blocks.removeFirst();
            base++;
        }
        journal.blocksAcknowledged(base);
        if (base < index) {
            // Beyond everything produced (the key manager's position on a fresh start): continue
            // there. No key_ID was handed out for the skipped indices in this run.
            base = index;
            pending.clear();
            ids.clear();
            idBase = index;
            journal.skipTo(index);
        }
    }

    @Override
    public synchronized KeyBlock block(long index) {
        if (index < base || index >= base + blocks.size()) {
            throw new NoSuchElementException("block " + index + " of link " + qkdlId + ": held are [" + base + ", "
                    + (base + blocks.size()) + ")");
        }
        int offset = (int) (index - base);
        Iterator<KeyBlock> it = blocks.iterator();
        for (int i = 0; i < offset; i++) {
            it.next();
        }
        return it.next();
    }

    /** Whether the consumer has given its position. */
    synchronized boolean positioned() {
        return positioned;
    }

    /** First block not yet acknowledged by the consumer. */
    synchronized long acknowledged() {
        return base;
    }

    synchronized long volumeBits() {
        return volumeBits;
    }

    /** How many more blocks may be taken from the device now. */
    synchronized int room() {
        int free = capacity - blocks.size();
        if (!ids.isEmpty() || slaveSynced) {
            free = Math.min(free, capacity - ids.size());
        }
        return Math.max(0, free);
    }

    /** Appends key taken from the device as the next blocks; at the master end their key_IDs are published. */
    synchronized void append(List<DeviceKey> keys, boolean master) {
        List<KeyBlock> taken = new ArrayList<>(keys.size());
        for (DeviceKey k : keys) {
            taken.add(new KeyBlock(k.keyId(), base + blocks.size() + taken.size(), k.key()));
        }
        journal.append(taken, master);
        for (KeyBlock b : taken) {
            blocks.addLast(b);
            if (master) {
                ids.addLast(b.blockId());
            }
            volumeBits += (long) b.key().length * 8;
        }
        delivered();
    }

    // --- master end --------------------------------------------------------------------------------

    /**
     * The slave end subscribes from {@code fromIndex}: valid only where this end still holds every
     * key_ID from there on.
     *
     * @return null if accepted, else why not
     */
    synchronized String subscribe(long fromIndex) {
        if (!positioned) {
            return "the master end's key manager has not yet said where the key stream continues; retry";
        }
        long produced = base + blocks.size();
        if (fromIndex < idBase || fromIndex > produced) {
            return "from_index " + fromIndex + " is outside the key_IDs held here [" + idBase + ", " + produced
                    + "]: the two ends' key streams are out of step (an agent restart lost key that one end's"
                    + " key manager already holds); re-create the link";
        }
        slaveSynced = true;
        return null;
    }

    /** Whether a slave end has subscribed validly in this run: only then does the master end take key. */
    synchronized boolean slaveSynced() {
        return slaveSynced;
    }

    /** The slave end's key manager holds every block below {@code next}: forget their key_IDs. */
    synchronized void slaveProgress(long next) {
        long produced = base + blocks.size();
        while (idBase < Math.min(next, produced) && !ids.isEmpty()) {
            ids.removeFirst();
            idBase++;
        }
        journal.idsAcknowledged(idBase);
    }

    /** Up to {@code max} key_IDs from {@code from}; empty when none are there yet. */
    synchronized List<UUID> idsFrom(long from, int max) {
        List<UUID> out = new ArrayList<>();
        if (from < idBase) {
            throw new NoSuchElementException("key_ID " + from + " already forgotten (held from " + idBase + ")");
        }
        Iterator<UUID> it = ids.iterator();
        for (long i = idBase; it.hasNext() && out.size() < max; i++) {
            UUID id = it.next();
            if (i >= from) {
                out.add(id);
            }
        }
        return out;
    }

    // --- slave end ---------------------------------------------------------------------------------

    /** Where the slave end's subscription starts: the first index it holds no key_ID for. */
    synchronized long restartIds() {
        pending.clear();
        return base + blocks.size();
    }

    /**
     * Key_IDs from the master end, {@code first} being the index of the first.
     *
     * @return false if they do not continue the ones held (the stream must be restarted)
     */
    synchronized boolean addIds(long first, List<UUID> next) {
        long expected = base + blocks.size() + pending.size();
        if (first != expected) {
            return false;
        }
        pending.addAll(next);
        return true;
    }

    /** The next key_IDs to fetch with dec_keys, at most {@code max} and at most {@link #room()}. */
    synchronized List<UUID> nextPending(int max) {
        List<UUID> out = new ArrayList<>();
        int n = Math.min(max, capacity - blocks.size());
        Iterator<UUID> it = pending.iterator();
        while (it.hasNext() && out.size() < n) {
            out.add(it.next());
        }
        return out;
    }

    /** Blocks fetched from the device for the first {@code keys.size()} pending key_IDs. */
    synchronized void appendPending(List<DeviceKey> keys) {
        for (DeviceKey k : keys) {
            UUID expected = pending.peekFirst();
            if (!k.keyId().equals(expected)) {
                throw new IllegalStateException("dec_keys answer out of order");
            }
            pending.removeFirst();
        }
        append(keys, false);
    }

    synchronized int pendingCount() {
        return pending.size();
    }

    // --- health ------------------------------------------------------------------------------------

    private void delivered() {
        lastDeliveryNanos = System.nanoTime();
        failingSinceNanos = -1;
        lastProblem = null;
    }

    /** The device (or the key_ID stream) failed to give key this end wanted. */
    synchronized void failing(String problem) {
        if (failingSinceNanos < 0) {
            failingSinceNanos = System.nanoTime();
        }
        lastProblem = problem;
    }

    /** Whether key arrived since attach and nothing has been failing for {@code offAfterNanos}. */
    synchronized boolean healthy(long offAfterNanos) {
        return lastDeliveryNanos != 0
                && (failingSinceNanos < 0 || System.nanoTime() - failingSinceNanos < offAfterNanos);
    }

    synchronized String lastProblem() {
        return lastProblem;
    }

    @Override
    public String toString() {
        return "DeviceLink[" + qkdlId + "]";
    }
}

package org.qkdnf.it;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

import org.qkdnf.kms.KmsAgent;

/**
 * Two SAEs taking key back to back while the network changes under them: the master takes one key
 * at its key manager (enc_keys), and the slave at once asks its own key manager for that key id
 * (dec_keys). Every key the master got is recorded; one the slave could not get at once, or was
 * told to leave for later ({@link #holdBack}), stays owed until {@link #settle} claims it.
 *
 * <p>What it counts as wrong ({@link #problems}): a key id handed to the master twice, the same key
 * bits under two key ids, the slave getting other bits than the master under a key id, a key id
 * handed to the slave twice. A refused enc_keys (no key relayed yet, a route being replaced) is
 * not wrong: nothing was handed out.
 *
 * <p>Threads: the flow's own thread does all requests until {@link #close}; the test thread reads
 * the concurrent maps and counters meanwhile and calls {@link #settle} after {@link #close}.
 */
final class KeyFlow implements AutoCloseable {

    private final Sae master;
    private final KmsAgent masterKme;
    private final Sae slave;
    private final KmsAgent slaveKme;
    private final Thread thread;
    private volatile boolean stopped;
    /** Key id to key bits, as the master got them. */
    private final Map<String, String> handed = new ConcurrentHashMap<>();
    private final Map<String, String> idOfKey = new ConcurrentHashMap<>();
    /** Handed to the master, not yet to the slave. */
    private final Map<String, String> owed = new ConcurrentHashMap<>();
    private final Map<String, Boolean> delivered = new ConcurrentHashMap<>();
    private final List<String> problems = new CopyOnWriteArrayList<>();
    private final AtomicInteger toHoldBack = new AtomicInteger();
    private final AtomicLong encRefused = new AtomicLong();

    KeyFlow(Sae master, KmsAgent masterKme, Sae slave, KmsAgent slaveKme) {
        this.master = master;
        this.masterKme = masterKme;
        this.slave = slave;
        this.slaveKme = slaveKme;
        this.thread = new Thread(this::run, "key-flow-" + master.id);
        thread.setDaemon(true);
        thread.start();
    }

    private void run() {
        while (!stopped) {
            try {
                Sae.Key k = master.encKey(masterKme, slave.id);
                if (!k.ok()) {
                    encRefused.incrementAndGet();
                    Thread.sleep(20);
                    continue;
                }
                recordHanded(k);
                if (toHoldBack.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
                    continue;
                }
                claim(k.id);
            } catch (InterruptedException e) {
                return;
            } catch (Exception e) {
                // a key manager unreachable for a moment; whatever was handed out stays owed
            }
        }
    }

    private void recordHanded(Sae.Key k) {
        if (handed.putIfAbsent(k.id, k.key) != null) {
            problems.add("key id " + k.id + " handed to the master twice");
        }
        String other = idOfKey.putIfAbsent(k.key, k.id);
        if (other != null) {
            problems.add("the same key bits under key ids " + other + " and " + k.id);
        }
        owed.put(k.id, k.key);
    }

    /** Asks the slave's key manager for {@code id} once; true when the slave got it. */
    private boolean claim(String id) throws Exception {
        Sae.Key d = slave.decKey(slaveKme, master.id, id);
        if (!d.ok()) {
            return false;
        }
        if (!id.equals(d.id) || !handed.get(id).equals(d.key)) {
            problems.add("key id " + id + ": the slave got other bits than the master");
        }
        if (delivered.put(id, true) != null) {
            problems.add("key id " + id + " handed to the slave twice");
        }
        owed.remove(id);
        return true;
    }

    /** The next {@code n} keys the master gets are left for the slave to claim in {@link #settle}. */
    void holdBack(int n) {
        toHoldBack.addAndGet(n);
    }

    /** Key ids the slave has got so far. */
    long delivered() {
        return delivered.size();
    }

    long handedToMaster() {
        return handed.size();
    }

    long encRefused() {
        return encRefused.get();
    }

    int owed() {
        return owed.size();
    }

    List<String> problems() {
        return List.copyOf(problems);
    }

    /** Up to {@code n} key ids the slave already got, for checks that none is handed out again. */
    List<String> someDelivered(int n) {
        List<String> out = new ArrayList<>();
        for (String id : delivered.keySet()) {
            if (out.size() == n) {
                break;
            }
            out.add(id);
        }
        return out;
    }

    void awaitDelivered(long count, Duration limit) throws InterruptedException {
        Await.until(limit, () -> delivered.size() >= count,
                () -> delivered.size() + " of " + count + " keys delivered to the slave ("
                        + encRefused.get() + " enc_keys refused)");
    }

    /**
     * After {@link #close}: the slave claims every key still owed, retrying until {@code limit}
     * (a route change may still be settling in); returns the key ids it could not get, which are
     * lost.
     */
    List<String> settle(Duration limit) throws Exception {
        long deadline = System.nanoTime() + limit.toNanos();
        while (!owed.isEmpty() && System.nanoTime() < deadline) {
            for (String id : new ArrayList<>(owed.keySet())) {
                claim(id);
            }
            if (!owed.isEmpty()) {
                Thread.sleep(200);
            }
        }
        return new ArrayList<>(owed.keySet());
    }

    @Override
    public void close() throws InterruptedException {
        stopped = true;
        thread.join(30_000);
    }
}

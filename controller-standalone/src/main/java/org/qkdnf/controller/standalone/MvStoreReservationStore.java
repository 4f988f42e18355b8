package org.qkdnf.controller.standalone;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.TreeMap;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.h2.mvstore.MVStoreException;
import org.qkdnf.controller.admission.Reservation;
import org.qkdnf.controller.admission.ReservationStore;

/**
 * Admitted key-rate reservations in {@code <data-dir>/reservations.mv.db}: every change is
 * committed and synced before the call returns, or, for the deferred writes, once a later
 * {@link #flush()} completes (one sync per batch), so an admission the controller acknowledged
 * survives a crash. Encoding per service: {@code priority;admittedSeq;link=bps,link=bps}.
 *
 * <p>Threads: called by {@code AdmissionController} under its lock; synchronized anyway.
 * Each write call changes one map, which lets {@link GroupCommit} commit without this lock.
 */
public final class MvStoreReservationStore implements ReservationStore, AutoCloseable {

    private final MVStore mv;
    private final MVMap<String, String> reservations;

    private final GroupCommit groupCommit;
    /** Whether {@link #close()} closes {@link #groupCommit} (false: shared, its creator closes it). */
    private final boolean ownsGroupCommit;

    private MvStoreReservationStore(MVStore mv, GroupCommit shared) {
        this.mv = mv;
        this.reservations = mv.openMap("reservations", new MVMap.Builder<String, String>().keyType(UuidKeyType.INSTANCE));
        this.ownsGroupCommit = shared == null;
        this.groupCommit = shared == null ? new GroupCommit("reservations") : shared;
        groupCommit.add(mv);
    }

    public static MvStoreReservationStore open(Path dataDir) throws IOException {
        return open(dataDir, null);
    }

    /** Like {@link #open(Path)}, made durable by {@code shared} together with its other stores (null: its own). */
    static MvStoreReservationStore open(Path dataDir, GroupCommit shared) throws IOException {
        Files.createDirectories(dataDir);
        Path file = dataDir.resolve("reservations.mv.db");
        try {
            return new MvStoreReservationStore(new MVStore.Builder().fileName(file.toString()).autoCommitDisabled()
                    .open(), shared);
        } catch (MVStoreException e) {
            throw new IOException("cannot open reservation store " + file + ": " + e.getMessage(), e);
        }
    }

    @Override
    public synchronized Collection<Reservation> loadAll() {
        List<Reservation> out = new ArrayList<>();
        for (Map.Entry<String, String> e : reservations.entrySet()) {
            out.add(decode(e.getKey(), e.getValue()));
        }
        return out;
    }

    @Override
    public synchronized void save(Reservation r) {
        saveDeferred(r);
        durable();
    }

    @Override
    public synchronized void saveDeferred(Reservation r) {
        StringBuilder b = new StringBuilder().append(r.priority()).append(';').append(r.admittedSeq()).append(';');
        String sep = "";
        for (Map.Entry<String, Long> e : r.rateBpsByLane().entrySet()) {
            b.append(sep).append(e.getKey()).append('=').append(e.getValue());
            sep = ",";
        }
        reservations.put(r.serviceId(), b.toString());
    }

    @Override
    public synchronized void removeDeferred(String serviceId) {
        reservations.remove(serviceId);
    }

    @Override
    public CompletableFuture<Void> flush() {
        return groupCommit.flush();
    }

    @Override
    public synchronized void remove(String serviceId) {
        if (reservations.remove(serviceId) != null) {
            durable();
        }
    }

    private void durable() {
        mv.commit();
        mv.sync();
    }

    private static Reservation decode(String serviceId, String s) {
        String[] f = s.split(";", 3);
        Map<String, Long> rates = new TreeMap<>();
        for (String kv : f[2].split(",")) {
            int eq = kv.lastIndexOf('=');
            rates.put(kv.substring(0, eq), Long.parseLong(kv.substring(eq + 1)));
        }
        return new Reservation(serviceId, Integer.parseInt(f[0]), rates, Long.parseLong(f[1]));
    }

    @Override
    public void close() {
        if (ownsGroupCommit) {
            groupCommit.close();
        }
        synchronized (this) {
            mv.close();
        }
    }
}

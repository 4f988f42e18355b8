package org.qkdnf.agent.etsi014;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import javax.crypto.AEADBadTagException;

import org.h2.mvstore.MVMap;
import org.h2.mvstore.MVStore;
import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.common.atrest.AtRestCipher;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.common.atrest.SealedStoreFile;

/**
 * The crash-safe journal of one device module: the key blocks taken from the device that the key
 * manager has not yet acknowledged and, at the master end, the key_IDs the slave end has not yet
 * acknowledged. A device hands each key out once, so key it gave us must be on disk before it is
 * offered to anyone; after a restart the driver continues exactly where the journal says.
 *
 * <p>Files: {@code <dir>/<qkdi_id>.journal} (MVStore) and {@code <dir>/<qkdi_id>.key} (the AES-256
 * key sealing the key bytes, created with mode 0600 beside a new journal; one key per journal, so
 * the journal's open epoch alone keeps GCM nonces unique). Maps: {@code store} (open epoch and
 * key check, see {@link SealedStoreFile}), {@code meta} (the link the journal belongs to, the next
 * index), {@code blocks} (index to key_ID and the
 * sealed key, the link id, index and key_ID bound as associated data) and {@code ids} (index to
 * key_ID, master end).
 *
 * <p>Durability: {@link #append} returns once the blocks are synced to disk. Dropping acknowledged
 * entries is written with the next append (or at close), not synced on its own: after a crash the
 * journal may still hold entries the key manager or slave end already has, and the acknowledgement
 * the driver receives after restart drops them again. Nothing is ever offered that is not journaled.
 *
 * <p>Threads: every method is called with the owning {@link DeviceLink}'s lock held.
 */
final class DeviceJournal implements AutoCloseable {

    private static final String QKDL_ID = "qkdl_id";
    private static final String NEXT_INDEX = "next_index";

    private final Path file;
    private final MVStore mv;
    private final AtRestCipher cipher;
    private final MVMap<String, byte[]> meta;
    private final MVMap<Long, byte[]> blocks;
    private final MVMap<Long, byte[]> ids;
    private byte[] linkAad;

    /** What a journal holds for a link. */
    record Restored(long nextIndex, List<KeyBlock> blocks, long idBase, List<UUID> ids) {
    }

    private DeviceJournal(Path file, MVStore mv, AtRestCipher cipher) {
        this.file = file;
        this.mv = mv;
        this.cipher = cipher;
        // MVStore keeps a chunk with no live data for its retention time (45 s by default) before
        // reusing its space, so the file would hold 45 s of the device's key on top of the few
        // unacknowledged blocks. 0 is safe here: every commit is synced before the next one is
        // written (sync()), so a reused chunk's last readers are on the device already, and every
        // map is read under the DeviceLink lock that changes it, so no reader walks an old version.
        mv.setRetentionTime(0);
        this.meta = mv.openMap("meta");
        this.blocks = mv.openMap("blocks");
        this.ids = mv.openMap("ids");
    }

    /**
     * Opens (or creates) the journal of module {@code qkdiId} in {@code dir}.
     *
     * @throws IOException naming the file when the directory, the key file or the journal is unusable
     */
    static DeviceJournal open(Path dir, String qkdiId) throws IOException {
        Files.createDirectories(dir);
        Path file = dir.resolve(qkdiId + ".journal");
        Path keyFile = dir.resolve(qkdiId + ".key");
        if (!Files.exists(keyFile)) {
            if (Files.exists(file)) {
                throw new IOException("device journal " + file + ": its key file " + keyFile
                        + " is missing; without it the journaled key cannot be read (move the journal away to start afresh)");
            }
            KeyFile.create(keyFile);
        }
        SealedStoreFile.Opened opened = SealedStoreFile.open(file, KeyFile.read(keyFile), "device journal");
        return new DeviceJournal(file, opened.mv(), opened.cipher());
    }

    /**
     * What the journal holds for link {@code qkdlId}. A journal of another link (the module was moved
     * to a new link) is emptied first: that link's key can never be used again.
     *
     * @throws IOException when a journaled key does not decrypt (the file was altered)
     */
    Restored restore(String qkdlId) throws IOException {
        linkAad = qkdlId.getBytes(StandardCharsets.US_ASCII);
        byte[] stored = meta.get(QKDL_ID);
        if (stored == null || !qkdlId.equals(new String(stored, StandardCharsets.US_ASCII))) {
            blocks.clear();
            ids.clear();
            meta.put(QKDL_ID, linkAad);
            meta.put(NEXT_INDEX, longBytes(0));
            sync();
            return new Restored(0, List.of(), 0, List.of());
        }
        long next = ByteBuffer.wrap(meta.get(NEXT_INDEX)).getLong();
        List<KeyBlock> restored = new ArrayList<>();
        for (Map.Entry<Long, byte[]> e : blocks.entrySet()) {
            restored.add(openBlock(e.getKey(), e.getValue()));
        }
        List<UUID> restoredIds = new ArrayList<>();
        for (byte[] id : ids.values()) {
            restoredIds.add(uuid(id, 0));
        }
        long idBase = ids.isEmpty() ? next : ids.firstKey();
        long base = restored.isEmpty() ? next : restored.get(0).index();
        if (base + restored.size() != next || idBase + restoredIds.size() != next) {
            throw new IOException("device journal " + file + ": holds blocks from " + base + " (" + restored.size()
                    + ") and key_IDs from " + idBase + " (" + restoredIds.size() + "), its next index is " + next);
        }
        return new Restored(next, restored, idBase, restoredIds);
    }

    /** Journals blocks taken from the device (and, at the master end, their key_IDs); durable on return. */
    void append(List<KeyBlock> taken, boolean master) {
        long next = -1;
        for (KeyBlock b : taken) {
            byte[] value = new byte[16 + AtRestCipher.OVERHEAD + b.key().length];
            putUuid(value, 0, b.blockId());
            cipher.sealInto(aad(b.index(), b.blockId()), b.key(), 0, b.key().length, value, 16);
            blocks.put(b.index(), value);
            if (master) {
                byte[] id = new byte[16];
                putUuid(id, 0, b.blockId());
                ids.put(b.index(), id);
            }
            next = b.index() + 1;
        }
        if (next >= 0) {
            meta.put(NEXT_INDEX, longBytes(next));
            sync();
        }
    }

    /** The key manager holds every block below {@code index}. */
    void blocksAcknowledged(long index) {
        while (!blocks.isEmpty() && blocks.firstKey() < index) {
            blocks.remove(blocks.firstKey());
        }
    }

    /** The slave end holds every key_ID below {@code index}. */
    void idsAcknowledged(long index) {
        while (!ids.isEmpty() && ids.firstKey() < index) {
            ids.remove(ids.firstKey());
        }
    }

    /** The stream continues at {@code index}, beyond everything journaled: nothing before it is kept. */
    void skipTo(long index) {
        blocks.clear();
        ids.clear();
        meta.put(NEXT_INDEX, longBytes(index));
        sync();
    }

    @Override
    public void close() {
        mv.close();
    }

    private KeyBlock openBlock(long index, byte[] value) throws IOException {
        UUID id = uuid(value, 0);
        try {
            return new KeyBlock(id, index, cipher.open(aad(index, id), value, 16, value.length - 16));
        } catch (AEADBadTagException e) {
            throw new IOException("device journal " + file + ": block " + index + " fails authentication", e);
        }
    }

    private byte[] aad(long index, UUID id) {
        byte[] aad = new byte[linkAad.length + 24];
        System.arraycopy(linkAad, 0, aad, 0, linkAad.length);
        ByteBuffer.wrap(aad, linkAad.length, 8).putLong(index);
        putUuid(aad, linkAad.length + 8, id);
        return aad;
    }

    private void sync() {
        mv.commit();
        mv.sync();
    }

    private static byte[] longBytes(long v) {
        return ByteBuffer.allocate(8).putLong(v).array();
    }

    private static void putUuid(byte[] out, int off, UUID id) {
        ByteBuffer.wrap(out, off, 16).putLong(id.getMostSignificantBits()).putLong(id.getLeastSignificantBits());
    }

    private static UUID uuid(byte[] in, int off) {
        ByteBuffer b = ByteBuffer.wrap(in, off, 16);
        return new UUID(b.getLong(), b.getLong());
    }

    @Override
    public String toString() {
        return "DeviceJournal[" + file + "]";
    }
}

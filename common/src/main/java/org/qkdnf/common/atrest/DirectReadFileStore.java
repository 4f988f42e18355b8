package org.qkdnf.common.atrest;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Map;

import org.h2.mvstore.DataUtils;
import org.h2.mvstore.SFChunk;
import org.h2.mvstore.SingleFileStore;

/**
 * MVStore's single-file store, reading chunk data (pages, tables of contents, chunks being moved)
 * into a direct buffer that each thread keeps and reuses.
 *
 * <p>Why: {@link SingleFileStore} reads every page into a new, zeroed heap buffer, and the JDK
 * fills a heap buffer by reading into its own per-thread direct buffer and copying from there.
 * For a key pool's multi-MiB records that is a zeroing and a copy of every byte on top of the
 * kernel's own copy (3.8 % of a five-hop relay's CPU in a profile). Read into a direct buffer,
 * the kernel fills it and nothing else touches the bytes until MVStore parses the page.
 *
 * <p>Why reuse is safe: a thread's buffer is overwritten only by that thread's next read, and
 * MVStore is done with what a chunk-addressed read returns before it reads again on the same
 * thread. A page is parsed into its keys and values at once (the data types copy out of the
 * buffer; none keeps a view of it), a table of contents is copied into a {@code long[]}, and a
 * chunk being moved is written out before anything else is read. The reads without a chunk (the
 * file header, chunk headers and footers) are a few KiB and keep MVStore's own path, as do reads
 * above {@link #MAX_REUSED_BYTES}, so that no thread keeps a buffer larger than that.
 *
 * <p>Reads use a channel of their own, opened after MVStore's channel has locked the file and
 * closed after MVStore's has released it: closing any descriptor of a file drops the process's
 * POSIX lock on it, so the order matters. Positional reads through the second channel see every
 * write made through the first (one file, one page cache).
 *
 * <p>Threads: any thread may read; each uses its own buffer ({@link #BUFFERS}). {@link #reads} is
 * set once by {@link #open} before MVStore uses the store.
 */
final class DirectReadFileStore extends SingleFileStore {

    /** Largest read served from a thread's reused buffer: a few of a key pool's blocks. */
    static final int MAX_REUSED_BYTES = 16 << 20;
    /** Buffer sizes are multiples of this. */
    private static final int SIZE_STEP_BYTES = 64 << 10;

    /**
     * One buffer per thread for all stores: a thread is done with one store's read before it reads
     * from any store again, and so a thread holds one buffer, as large as the largest page it read
     * (the JDK's cache of temporary direct buffers, which these reads no longer use, does the same).
     */
    private static final ThreadLocal<ByteBuffer> BUFFERS = new ThreadLocal<>();

    private FileChannel reads;

    /** @param config MVStore's file store settings ({@code cacheSize}, {@code cacheConcurrency}, ...) */
    DirectReadFileStore(Map<String, Object> config) {
        super(config);
    }

    @Override
    public void open(String fileName, boolean readOnly, char[] encryptionKey) {
        if (encryptionKey != null) {
            // key material here is sealed by AtRestCipher; MVStore's own file encryption would wrap
            // the channel, which the second channel would bypass
            throw new IllegalArgumentException("encryptionKey: MVStore file encryption is not supported here");
        }
        super.open(fileName, readOnly, null);
        try {
            reads = FileChannel.open(Path.of(fileName), StandardOpenOption.READ);
        } catch (IOException | RuntimeException e) {
            super.close();
            throw DataUtils.newMVStoreException(DataUtils.ERROR_READING_FAILED,
                    "Could not open file {0} for reading", fileName, e);
        }
    }

    @Override
    public ByteBuffer readFully(SFChunk chunk, long pos, int len) {
        if (chunk == null || len > MAX_REUSED_BYTES) {
            return super.readFully(chunk, pos, len);
        }
        ByteBuffer dst = buffer(len);
        DataUtils.readFully(reads, pos, dst);
        readCount.incrementAndGet();
        readBytes.addAndGet(len);
        return dst;
    }

    /** This thread's buffer, at least {@code len} bytes, positioned at 0 with limit {@code len}. */
    private static ByteBuffer buffer(int len) {
        ByteBuffer b = BUFFERS.get();
        if (b == null || b.capacity() < len) {
            // an eighth more, so that pages a little larger than this one do not reallocate
            long wanted = (len + (long) len / 8 + SIZE_STEP_BYTES - 1) / SIZE_STEP_BYTES * SIZE_STEP_BYTES;
            b = ByteBuffer.allocateDirect((int) Math.min(MAX_REUSED_BYTES, wanted));
            BUFFERS.set(b);
        }
        b.clear().limit(len);
        return b;
    }

    @Override
    public void close() {
        try {
            super.close();
        } finally {
            closeReads();
        }
    }

    private void closeReads() {
        FileChannel r = reads;
        if (r == null) {
            return;
        }
        try {
            r.close();
        } catch (IOException e) {
            throw DataUtils.newMVStoreException(DataUtils.ERROR_WRITING_FAILED,
                    "Closing the read channel of {0} failed", getFileName(), e);
        }
    }
}

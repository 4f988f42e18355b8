package org.qkdnf.kms.store;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.kms.api.ReservedKey;

/**
 * Kills a writer process with SIGKILL in the middle of its appends and reserves, several times
 * over, and checks after each kill that no range it was handed is handed out again, that nothing
 * it was told was appended is lost, and that the pool goes on in order.
 */
class CrashRestartTest {

    private static final String LINK = "c0000000-0000-4000-8000-0000000000c0";
    private static final int BLOCK = 64;
    private static final int ROUNDS = 3;
    private static final int RESERVES_BEFORE_KILL = 80;

    @TempDir
    Path dir;

    /** A range some process was handed: [start, end) in stream bytes. */
    private record Span(long start, long end, String who) {
    }

    @Test
    void aKilledWriterIsNeverHandedTheSameKeyAgain() throws Exception {
        TestStreams stream = new TestStreams(LINK, BLOCK);
        Path storeFile = dir.resolve("crash.mv.db");
        Path keyFile = dir.resolve("crash.key");
        KeyFile.create(keyFile);
        List<Span> handedOut = new ArrayList<>();
        long acknowledged = 0;

        for (int round = 0; round < ROUNDS; round++) {
            List<String> lines = runAndKill(storeFile, keyFile, round);
            long printedEnd = 0;
            for (String line : lines) {
                String[] f = line.split(" ");
                switch (f[0]) {
                    case "READY" -> { }
                    case "A" -> acknowledged = Math.max(acknowledged, Long.parseLong(f[1]));
                    case "R" -> {
                        long start = Long.parseLong(f[1]) * BLOCK + Long.parseLong(f[2]) / 8;
                        Span s = new Span(start, start + Long.parseLong(f[3]) / 8, "writer " + round);
                        handedOut.add(s);
                        printedEnd = Math.max(printedEnd, s.end);
                    }
                    default -> fail("writer %d printed %s (stderr: %s)", round, line, stderr(round));
                }
            }
            assertThat(lines.stream().filter(l -> l.startsWith("R ")).count())
                    .as("reserves of writer %d", round).isGreaterThanOrEqualTo(RESERVES_BEFORE_KILL);

            try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(storeFile, keyFile)) {
                PoolLevels levels = store.levels(LINK);
                long watermark = (levels.consumedBits() + levels.discardedBits()) / 8;
                assertThat(watermark).as("durable watermark after kill %d", round).isGreaterThanOrEqualTo(printedEnd);
                assertThat(levels.nextBlockIndex()).as("appended blocks after kill %d", round).isGreaterThanOrEqualTo(acknowledged);
                if (levels.availableBits() >= 64) {
                    ReservedKey k = store.reserve(LINK, 64);
                    assertThat(stream.start(k.range())).isEqualTo(watermark);
                    assertThat(k.key()).isEqualTo(stream.bytes(watermark, 8));
                    handedOut.add(new Span(stream.start(k.range()), stream.end(k.range()), "test after kill " + round));
                }
            }
        }

        try (MvStoreKeyPoolStore store = MvStoreKeyPoolStore.open(storeFile, keyFile)) {
            long rest = store.levels(LINK).availableBits();
            if (rest > 0) {
                ReservedKey k = store.reserve(LINK, rest);
                assertThat(k.key()).isEqualTo(stream.bytes(stream.start(k.range()), k.key().length));
                handedOut.add(new Span(stream.start(k.range()), stream.end(k.range()), "test draining"));
            }
            long next = store.levels(LINK).nextBlockIndex();
            store.append(LINK, stream.blocks(next, 4));
            ReservedKey k = store.reserve(LINK, 4L * BLOCK * 8);
            assertThat(k.range().firstBlockIndex()).isEqualTo(next);
            assertThat(k.range().offsetBits()).isZero();
            assertThat(k.key()).isEqualTo(stream.bytes(next * BLOCK, 4 * BLOCK));
            handedOut.add(new Span(stream.start(k.range()), stream.end(k.range()), "test at the end"));
        }

        handedOut.sort(Comparator.comparingLong(Span::start));
        for (int i = 1; i < handedOut.size(); i++) {
            assertThat(handedOut.get(i).start())
                    .as("%s overlaps %s", handedOut.get(i), handedOut.get(i - 1))
                    .isGreaterThanOrEqualTo(handedOut.get(i - 1).end());
        }
    }

    /**
     * Starts the writer, lets it reserve a while, SIGKILLs it, returns everything it printed. Its
     * stdout goes to a file, not a pipe: {@code destroyForcibly} closes the pipe, and the lines
     * printed just before the kill are the ones that matter most.
     */
    private List<String> runAndKill(Path storeFile, Path keyFile, int round) throws IOException, InterruptedException {
        Path java = Path.of(System.getProperty("java.home"), "bin", "java");
        Path out = dir.resolve("writer-" + round + ".out");
        Process p = new ProcessBuilder(java.toString(), "-cp", System.getProperty("java.class.path"),
                CrashWriterMain.class.getName(), storeFile.toString(), keyFile.toString(), LINK,
                Integer.toString(BLOCK), Integer.toString(round))
                .redirectOutput(out.toFile())
                .redirectError(dir.resolve("writer-" + round + ".err").toFile())
                .start();
        try {
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
            while (p.isAlive() && System.nanoTime() < deadline && reserves(out) < RESERVES_BEFORE_KILL) {
                Thread.sleep(10);
            }
            p.destroyForcibly();  // SIGKILL: no shutdown hook, no close, mid-operation
            assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            p.destroyForcibly();
        }
        List<String> lines = Files.readAllLines(out, StandardCharsets.UTF_8);
        if (!lines.isEmpty() && !Files.readString(out).endsWith("\n")) {
            lines.remove(lines.size() - 1);  // a line cut by the kill was not completely printed
        }
        assertThat(lines).as("writer %d output (stderr: %s)", round, stderr(round)).isNotEmpty();
        return lines;
    }

    private static long reserves(Path out) throws IOException {
        try (var lines = Files.lines(out, StandardCharsets.UTF_8)) {
            return lines.filter(l -> l.startsWith("R ")).count();
        }
    }

    private String stderr(int round) {
        try {
            return Files.readString(dir.resolve("writer-" + round + ".err"));
        } catch (IOException e) {
            return "(unreadable: " + e.getMessage() + ")";
        }
    }
}

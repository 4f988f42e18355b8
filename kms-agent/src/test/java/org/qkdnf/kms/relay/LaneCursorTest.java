package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.ReservedKey;

class LaneCursorTest {

    private static final Hop HOP = new Hop(1, "kme-a", "kme-b", "L01");

    private final List<KeyRange> consumed = new ArrayList<>();
    private final List<ReservedKey> handedOut = new ArrayList<>();
    /** Futures handed to the cursor, by reservation; completed at once unless a test holds them. */
    private final Map<KeyRange, CompletableFuture<ReservedKey>> futures = new HashMap<>();
    private final List<String> ran = new ArrayList<>();
    private boolean holdSync;

    private KeyRange refused;

    private CompletableFuture<ReservedKey> consume(RangeCodec.Slice slice, String field) {
        if (slice.reservation().equals(refused)) {
            throw RelayException.at(HOP, Status.Code.FAILED_PRECONDITION, field + ": replayed");
        }
        consumed.add(slice.reservation());
        byte[] key = new byte[(int) (slice.reservation().lengthBits() / 8)];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i + 1);
        }
        ReservedKey k = new ReservedKey(slice.reservation(), key);
        handedOut.add(k);
        CompletableFuture<ReservedKey> f = holdSync ? new CompletableFuture<>() : CompletableFuture.completedFuture(k);
        futures.put(slice.reservation(), f);
        return f;
    }

    private static KeyRange reservation(long offsetBits, long lengthBits) {
        return new KeyRange("L01/kme-a", 0, new UUID(0, 1), offsetBits, lengthBits);
    }

    /** Claims a message with its MAC key at {@code macAt} and {@code padBits} of pad right after it. */
    private void message(LaneCursor cursor, String name, KeyRange r, long macAt, long padBits) {
        LaneCursor.Claim c = cursor.claim(new RangeCodec.Slice(r, macAt, 256), new RangeCodec.Slice(r, macAt + 256, padBits),
                "pad_range", HOP, this::consume);
        cursor.inOrder(c, new LaneCursor.Work() {
            @Override
            public void run(byte[] macKey, KeySlice pad) {
                ran.add(name + ":" + macKey[0] + "/" + pad.bytes()[pad.offset()] + "/" + pad.length());
            }

            @Override
            public void failed(Throwable cause) {
                ran.add(name + ":failed " + cause.getMessage());
            }
        }, Runnable::run);
    }

    @Test
    void slicesOfOneReservationConsumeItOnceAndMoveForward() {
        LaneCursor cursor = new LaneCursor();
        KeyRange r = reservation(0, 1600);
        message(cursor, "m1", r, 0, 80);
        message(cursor, "m2", r, 400, 80);  // skips 64 bits

        assertThat(consumed).containsExactly(r);
        assertThat(ran).containsExactly("m1:1/33/10", "m2:51/83/10");
        byte[] held = handedOut.get(0).key();
        assertThat(Arrays.copyOfRange(held, 0, 92)).containsOnly(0);  // used and skipped bits erased
        assertThat(held[92]).isEqualTo((byte) 93);  // the rest stays for later slices
    }

    @Test
    void sliceBehindTheUsedPartIsAReplay() {
        LaneCursor cursor = new LaneCursor();
        KeyRange r = reservation(0, 1600);
        message(cursor, "m1", r, 0, 80);

        assertThatThrownBy(() -> message(cursor, "again", r, 256, 8))
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getMessage()).startsWith("hop 1 (node kme-a -> node kme-b, link L01): mac_key_range:")
                            .contains("replayed");
                });
        assertThat(consumed).hasSize(1);
        assertThat(ran).containsExactly("m1:1/33/10");
    }

    @Test
    void aNewReservationErasesTheRestOfTheOld() {
        LaneCursor cursor = new LaneCursor();
        KeyRange first = reservation(0, 800);
        KeyRange second = reservation(800, 800);
        message(cursor, "m1", first, 0, 8);
        message(cursor, "m2", second, 0, 8);

        assertThat(consumed).containsExactly(first, second);
        assertThat(handedOut.get(0).key()).containsOnly(0);
    }

    @Test
    void aMessageRefusedAfterItsMacKeyMovedToANewReservationStillErasesTheOldOne() {
        LaneCursor cursor = new LaneCursor();
        KeyRange first = reservation(0, 800);
        KeyRange second = reservation(800, 800);
        refused = reservation(1600, 800);
        message(cursor, "m1", first, 0, 8);

        assertThatThrownBy(() -> cursor.claim(new RangeCodec.Slice(second, 0, 256),
                new RangeCodec.Slice(refused, 0, 8), "pad_range", HOP, this::consume))
                .isInstanceOf(RelayException.class).hasMessageContaining("pad_range: replayed");
        assertThat(handedOut.get(0).key()).containsOnly(0);
        assertThat(ran).containsExactly("m1:1/33/1");
    }

    @Test
    void workWaitsForTheSyncAndRunsInClaimOrder() {
        LaneCursor cursor = new LaneCursor();
        KeyRange first = reservation(0, 800);
        KeyRange second = reservation(800, 800);
        holdSync = true;
        message(cursor, "m1", first, 0, 8);
        holdSync = false;
        message(cursor, "m2", second, 0, 8);  // its sync is done, but m1 came first
        assertThat(ran).isEmpty();

        futures.get(first).complete(handedOut.get(0));
        assertThat(ran).containsExactly("m1:1/33/1", "m2:1/33/1");
    }

    @Test
    void aFailedSyncFailsTheMessageWithoutItsKey() {
        LaneCursor cursor = new LaneCursor();
        KeyRange r = reservation(0, 800);
        holdSync = true;
        message(cursor, "m1", r, 0, 8);
        futures.get(r).completeExceptionally(new IllegalStateException("disk gone"));

        assertThat(ran).containsExactly("m1:failed disk gone");
    }

    @Test
    void sequenceGuardAcceptsOnlyIncreasingNumbersPerService() {
        SequenceGuard guard = new SequenceGuard();
        UUID s1 = UUID.randomUUID();
        UUID s2 = UUID.randomUUID();
        assertThat(guard.accept(s1, 1)).isZero();
        assertThat(guard.accept(s1, 3)).isZero();
        assertThat(guard.accept(s2, 1)).isZero();
        assertThat(guard.accept(s1, 3)).isEqualTo(3);
        assertThat(guard.accept(s1, 2)).isEqualTo(3);
        assertThat(guard.accept(s1, 4)).isZero();
    }
}

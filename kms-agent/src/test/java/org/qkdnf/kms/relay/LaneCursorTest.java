package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.UUID;

import io.grpc.Status;
import org.junit.jupiter.api.Test;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.ReservedKey;

class LaneCursorTest {

    private static final Hop HOP = new Hop(1, "kme-a", "kme-b", "L01");

    private final List<KeyRange> consumed = new ArrayList<>();
    private final List<ReservedKey> handedOut = new ArrayList<>();

    private ReservedKey consume(RangeCodec.Slice slice, String field) {
        consumed.add(slice.reservation());
        byte[] key = new byte[(int) (slice.reservation().lengthBits() / 8)];
        for (int i = 0; i < key.length; i++) {
            key[i] = (byte) (i + 1);
        }
        ReservedKey k = new ReservedKey(slice.reservation(), key);
        handedOut.add(k);
        return k;
    }

    private static KeyRange reservation(long offsetBits, long lengthBits) {
        return new KeyRange("L01/kme-a", 0, new UUID(0, 1), offsetBits, lengthBits);
    }

    @Test
    void slicesOfOneReservationConsumeItOnceAndMoveForward() {
        LaneCursor cursor = new LaneCursor();
        KeyRange r = reservation(0, 800);
        byte[] a = cursor.take(new RangeCodec.Slice(r, 0, 256), "mac_key_range", HOP, this::consume);
        byte[] b = cursor.take(new RangeCodec.Slice(r, 256, 80), "pad_range", HOP, this::consume);
        byte[] c = cursor.take(new RangeCodec.Slice(r, 400, 80), "pad_range", HOP, this::consume);  // skips 64 bits

        assertThat(consumed).containsExactly(r);
        assertThat(a).hasSize(32).startsWith(1, 2, 3);
        assertThat(b).startsWith(33);
        assertThat(c).startsWith(51);
        byte[] held = handedOut.get(0).key();
        assertThat(Arrays.copyOfRange(held, 0, 60)).containsOnly(0);  // used and skipped bits erased
        assertThat(held[60]).isEqualTo((byte) 61);  // the rest stays for later slices
    }

    @Test
    void sliceBehindTheUsedPartIsAReplay() {
        LaneCursor cursor = new LaneCursor();
        KeyRange r = reservation(0, 800);
        cursor.take(new RangeCodec.Slice(r, 0, 256), "mac_key_range", HOP, this::consume);
        cursor.take(new RangeCodec.Slice(r, 256, 80), "pad_range", HOP, this::consume);

        assertThatThrownBy(() -> cursor.take(new RangeCodec.Slice(r, 256, 8), "pad_range", HOP, this::consume))
                .isInstanceOfSatisfying(RelayException.class, e -> {
                    assertThat(e.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
                    assertThat(e.getMessage()).startsWith("hop 1 (node kme-a -> node kme-b, link L01): pad_range:")
                            .contains("replayed");
                });
        assertThat(consumed).hasSize(1);
    }

    @Test
    void aNewReservationErasesTheRestOfTheOld() {
        LaneCursor cursor = new LaneCursor();
        KeyRange first = reservation(0, 800);
        KeyRange second = reservation(800, 800);
        cursor.take(new RangeCodec.Slice(first, 0, 256), "mac_key_range", HOP, this::consume);
        cursor.take(new RangeCodec.Slice(second, 0, 256), "mac_key_range", HOP, this::consume);

        assertThat(consumed).containsExactly(first, second);
        assertThat(handedOut.get(0).key()).containsOnly(0);
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

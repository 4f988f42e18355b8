package org.qkdnf.kms.relay;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.List;

import com.google.protobuf.ByteString;
import org.qkdnf.proto.keyrelay.v1.LaneTrimOrBuilder;
import org.qkdnf.proto.keyrelay.v1.PoolRange;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequestOrBuilder;

/**
 * The one-time MAC of a relay hop: Poly1305 with a raw 32-byte one-time key (the (r, s) pair
 * taken straight from link key; not Poly1305-AES, no nonce) over a canonical encoding of the
 * whole authenticated header and the ciphertext.
 *
 * <p>Why a canonical encoding and not the protobuf bytes: protobuf serialisation is not canonical
 * (field order, unknown fields, packed encodings may differ between implementations), and the
 * receiver sees a parsed message. The encoding is fixed here and versioned by its domain string:
 * <pre>
 *   "qkdnf.keyrelay.v1/hop"                  (ASCII, no length)
 *   service_id        str
 *   sequence          u64
 *   route_qkdn_ids    u32 count, then str each
 *   hop_index         u32
 *   pad_range         range
 *   mac_key_range     range
 *   ciphertext        u64 length, then the bytes
 * where str = u32 length + UTF-8 bytes, range = str pool_id, str qkdl_id, u64 first_block_index,
 * str first_block_id, u64 offset_bits, u64 length_bits, u64 slice_offset_bits, u64 slice_length_bits;
 * integers big-endian.
 * </pre>
 * Every field of the message except the tag and the hop-local {@code message_id} (which only
 * matches responses to requests) is covered, so a changed, added, dropped or truncated field
 * changes the tag.
 *
 * <p>A first-hop message of lane key ({@code key_range} instead of {@code pad_range} and
 * {@code ciphertext}) has an encoding of its own, {@link #laneKeyTag}:
 * <pre>
 *   "qkdnf.keyrelay.v1/lane-key"             (ASCII, no length)
 *   service_id, sequence, route_qkdn_ids, hop_index   as above
 *   key_range         range
 *   mac_key_range     range
 * </pre>
 * The domain strings of the three encodings (hop, lane-key, trim) differ in the byte after
 * {@code "qkdnf.keyrelay.v1/"}, so none is a prefix of another: a tag of one kind of message
 * never verifies as the other kind, and the fields that are not part of a kind (a lane-key
 * message's {@code pad_range} and {@code ciphertext}) are refused by the receiver before the tag
 * is checked. The key's bits themselves are not MACed, as a pad's are not: the tag authenticates
 * what the sender named; that both copies of a lane hold the same bits is the key supply's
 * guarantee (same blocks, same ids, checked by {@code first_block_id}).
 *
 * <p>Security: Poly1305 with a uniformly random one-time key is an information-theoretically
 * secure one-time authenticator (forgery probability about 8·L/2^106 for an L-byte message,
 * Bernstein 2005), so QKD key keeps the relay free of computational assumptions. The key must
 * never be used twice: callers take 32 fresh bytes of pool key per message.
 */
public final class HopCipher {

    /** Length of the one-time Poly1305 key, bytes. */
    public static final int MAC_KEY_BYTES = 32;
    /** Length of the one-time Poly1305 key, bits: the authentication key spent per message per hop. */
    public static final long MAC_KEY_BITS = MAC_KEY_BYTES * 8L;
    /** Length of a tag, bytes. */
    public static final int TAG_BYTES = 16;

    private static final byte[] DOMAIN = "qkdnf.keyrelay.v1/hop".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LANE_KEY_DOMAIN = "qkdnf.keyrelay.v1/lane-key".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] TRIM_DOMAIN = "qkdnf.keyrelay.v1/trim".getBytes(StandardCharsets.US_ASCII);
    /**
     * Piece of a message encrypted and MACed together: a multiple of Poly1305's 16-byte block
     * (so no piece leaves a partial block behind) small enough to stay in the L1/L2 cache.
     */
    static final int PIECE_BYTES = 16 * 1024;

    private HopCipher() {
    }

    /**
     * Computes the tag of a hop message.
     *
     * @param macKey     32 bytes of one-time key
     * @param header     the message; its {@code ciphertext} and {@code tag} fields are ignored
     * @param ciphertext the ciphertext the message carries (or will carry)
     */
    public static byte[] tag(byte[] macKey, RelayHopRequestOrBuilder header, byte[] ciphertext) {
        Poly1305 mac = begin(macKey, header, ciphertext.length);
        mac.update(ciphertext, 0, ciphertext.length);
        return finish(mac);
    }

    /**
     * Encrypts and tags in one pass over memory: writes {@code plaintext XOR pad[padOffset ..)}
     * into {@code out} (as long as the plaintext) and returns the tag of {@link #tag} over the
     * header and {@code out}. It works in pieces of {@link #PIECE_BYTES}, each MACed while it is
     * still in the CPU cache, instead of a second pass over the whole message. The pad bytes it
     * used are zero when it returns: they are spent.
     */
    static byte[] encryptAndTag(byte[] macKey, RelayHopRequestOrBuilder header, ChunkedBytes out, byte[] plaintext,
                                byte[] pad, int padOffset) {
        int n = out.length();
        if (plaintext.length != n) {
            throw new IllegalArgumentException("out: " + n + " bytes for " + plaintext.length + " bytes of plaintext");
        }
        Poly1305 mac = begin(macKey, header, n);
        for (int off = 0; off < n; off += PIECE_BYTES) {
            int len = Math.min(PIECE_BYTES, n - off);
            byte[] o = out.arrayAt(off);
            int at = ChunkedBytes.indexIn(off);
            OneTimePad.xorIntoErasing(o, at, plaintext, off, pad, padOffset + off, len);
            mac.update(o, at, len);
        }
        return finish(mac);
    }

    /**
     * As {@link #encryptAndTag}, for a relay node: swaps the previous hop's pad {@code strip} for
     * this hop's in {@code data} (its ciphertext, which becomes this hop's), so the plaintext is
     * never written out, and returns the tag over the header and the new ciphertext. Both pads
     * are zero when it returns ({@code strip} is marked so).
     */
    static byte[] swapAndTag(byte[] macKey, RelayHopRequestOrBuilder header, ChunkedBytes data, KeySlice strip,
                             byte[] pad, int padOffset) {
        int n = data.length();
        if (strip.length() != n) {
            throw new IllegalArgumentException("strip: " + strip.length() + " bytes for " + n + " bytes of data");
        }
        Poly1305 mac = begin(macKey, header, n);
        for (int off = 0; off < n; off += PIECE_BYTES) {
            int len = Math.min(PIECE_BYTES, n - off);
            byte[] d = data.arrayAt(off);
            int at = ChunkedBytes.indexIn(off);
            OneTimePad.swapErasing(d, at, strip.bytes(), strip.offset() + off, pad, padOffset + off, len);
            mac.update(d, at, len);
        }
        strip.markErased();
        return finish(mac);
    }

    /**
     * Copies {@code ciphertext} into {@code out} (as long as it), checks the tag over the header
     * and those bytes and decrypts them in place with {@code pad}, in the same pieces as
     * {@link #encryptAndTag}, so each piece is read from the message once and stays in the CPU
     * cache for the MAC and the XOR. The pad is zero afterwards (and marked so). On a bad tag
     * {@code out} is zeroed (it was decrypted with key that is now discarded) and false returned:
     * the caller must not use it. The tag check is constant-time as in {@link #verify}.
     */
    static boolean verifyAndDecrypt(byte[] macKey, RelayHopRequestOrBuilder header, ByteString ciphertext,
                                    byte[] out, KeySlice pad, byte[] tag) {
        int n = out.length;
        Poly1305 mac = begin(macKey, header, n);
        for (int off = 0; off < n; off += PIECE_BYTES) {
            int len = Math.min(PIECE_BYTES, n - off);
            ciphertext.copyTo(out, off, off, len);
            mac.update(out, off, len);
            OneTimePad.xorIntoErasing(out, off, out, off, pad.bytes(), pad.offset() + off, len);
        }
        pad.markErased();
        boolean ok = tag.length == TAG_BYTES && MessageDigest.isEqual(finish(mac), tag);
        if (!ok) {
            Arrays.fill(out, (byte) 0);
        }
        return ok;
    }

    /**
     * Copies {@code ciphertext} into {@code out} (as long as it) and checks the tag over the header
     * and those bytes, in pieces that stay in the CPU cache between the copy and the MAC; as
     * {@link #verify}, but without a separate pass to copy the message's bytes out first.
     */
    static boolean copyAndVerify(byte[] macKey, RelayHopRequestOrBuilder header, ByteString ciphertext,
                                 ChunkedBytes out, byte[] tag) {
        int n = out.length();
        Poly1305 mac = begin(macKey, header, n);
        for (int off = 0; off < n; off += PIECE_BYTES) {
            int len = Math.min(PIECE_BYTES, n - off);
            byte[] o = out.arrayAt(off);
            int at = ChunkedBytes.indexIn(off);
            ciphertext.copyTo(o, off, at, len);
            mac.update(o, at, len);
        }
        return tag.length == TAG_BYTES && MessageDigest.isEqual(finish(mac), tag);
    }

    /**
     * Checks the tag over the header and {@code ciphertext} in place; as {@link #verify}, for a
     * message's own chunks.
     */
    static boolean verify(byte[] macKey, RelayHopRequestOrBuilder header, ChunkedBytes ciphertext, byte[] tag) {
        int n = ciphertext.length();
        Poly1305 mac = begin(macKey, header, n);
        for (int off = 0; off < n; off += PIECE_BYTES) {
            mac.update(ciphertext.arrayAt(off), ChunkedBytes.indexIn(off), Math.min(PIECE_BYTES, n - off));
        }
        return tag.length == TAG_BYTES && MessageDigest.isEqual(finish(mac), tag);
    }

    /** A Poly1305 that has absorbed the canonical encoding up to the ciphertext's bytes. */
    private static Poly1305 begin(byte[] macKey, RelayHopRequestOrBuilder header, int ciphertextLength) {
        Poly1305 mac = oneTimeMac(macKey);
        Feeder in = new Feeder(mac);
        mac.update(DOMAIN, 0, DOMAIN.length);
        in.route(header);
        in.range(header.getPadRange());
        in.range(header.getMacKeyRange());
        in.u64(ciphertextLength);
        return mac;
    }

    /**
     * The tag of a first-hop message of lane key (see the class comment for its encoding): its
     * {@code pad_range} and {@code ciphertext} fields are ignored, the receiver refuses a message
     * of this kind that has them. Checked with {@link MessageDigest#isEqual}, constant-time.
     */
    static byte[] laneKeyTag(byte[] macKey, RelayHopRequestOrBuilder header) {
        Poly1305 mac = oneTimeMac(macKey);
        Feeder in = new Feeder(mac);
        mac.update(LANE_KEY_DOMAIN, 0, LANE_KEY_DOMAIN.length);
        in.route(header);
        in.range(header.getKeyRange());
        in.range(header.getMacKeyRange());
        return finish(mac);
    }

    /**
     * The tag of a lane trim: Poly1305 keyed with {@code macKey} over
     * {@code "qkdnf.keyrelay.v1/trim" || u64 discarded_bits || range mac_key_range} (encodings as
     * for a hop). Checked with {@link MessageDigest#isEqual}, constant-time, by the receiver.
     */
    static byte[] trimTag(byte[] macKey, LaneTrimOrBuilder trim) {
        Poly1305 mac = oneTimeMac(macKey);
        mac.update(TRIM_DOMAIN, 0, TRIM_DOMAIN.length);
        Feeder in = new Feeder(mac);
        in.u64(trim.getDiscardedBits());
        in.range(trim.getMacKeyRange());
        return finish(mac);
    }

    private static Poly1305 oneTimeMac(byte[] macKey) {
        if (macKey.length != MAC_KEY_BYTES) {
            throw new IllegalArgumentException("macKey: must be " + MAC_KEY_BYTES + " bytes, got " + macKey.length);
        }
        return new Poly1305(macKey);
    }

    private static byte[] finish(Poly1305 mac) {
        byte[] out = new byte[TAG_BYTES];
        mac.doFinal(out, 0);
        return out;
    }

    /**
     * Checks a tag in constant time (the comparison does not stop at the first differing byte).
     * A tag of the wrong length fails.
     */
    public static boolean verify(byte[] macKey, RelayHopRequestOrBuilder header, byte[] ciphertext, byte[] tag) {
        byte[] expected = tag(macKey, header, ciphertext);
        // MessageDigest.isEqual is constant-time for equal lengths since JDK 6u17 (JDK-6863503).
        return tag.length == TAG_BYTES && MessageDigest.isEqual(expected, tag);
    }

    /** Writes the canonical encoding into the MAC without building the whole byte string. */
    private static final class Feeder {
        private final Poly1305 mac;
        private final byte[] buf = new byte[8];

        Feeder(Poly1305 mac) {
            this.mac = mac;
        }

        void u32(long v) {
            for (int i = 0; i < 4; i++) {
                buf[i] = (byte) (v >>> (24 - 8 * i));
            }
            mac.update(buf, 0, 4);
        }

        void u64(long v) {
            for (int i = 0; i < 8; i++) {
                buf[i] = (byte) (v >>> (56 - 8 * i));
            }
            mac.update(buf, 0, 8);
        }

        void str(String s) {
            byte[] b = s.getBytes(StandardCharsets.UTF_8);
            u32(b.length);
            mac.update(b, 0, b.length);
        }

        /** service_id, sequence, route_qkdn_ids and hop_index: what both kinds of hop message begin with. */
        void route(RelayHopRequestOrBuilder header) {
            str(header.getServiceId());
            u64(header.getSequence());
            List<String> route = header.getRouteQkdnIdsList();
            u32(route.size());
            for (String node : route) {
                str(node);
            }
            u32(header.getHopIndex());
        }

        void range(PoolRange r) {
            str(r.getPoolId());
            str(r.getQkdlId());
            u64(r.getFirstBlockIndex());
            str(r.getFirstBlockId());
            u64(r.getOffsetBits());
            u64(r.getLengthBits());
            u64(r.getSliceOffsetBits());
            u64(r.getSliceLengthBits());
        }
    }
}

package org.qkdnf.kms.relay;

import java.security.MessageDigest;
import java.time.Duration;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.PeerIdentity;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.KeyRange;
import org.qkdnf.kms.api.ReservedKey;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keyrelay.v1.LaneTrim;
import org.qkdnf.proto.keyrelay.v1.PoolRange;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;

/**
 * The receiving end of a hop: checks who sent it, consumes exactly the ranges it names from this
 * node's copy of the sender's lane, verifies the one-time MAC, decrypts (or, for a first hop of
 * lane key, takes the key itself from the lane: {@code key_range}), and either hands the key to the
 * {@link RelayedKeySink} (last hop) or re-encrypts it for the next hop.
 *
 * <p>Order of checks, and why:
 * <ol>
 *   <li>Syntax and identity (the caller's certificate must name the node the route puts before
 *       this one, and the link must join the two): nothing is consumed when these fail, so a
 *       stranger cannot make this node burn key. The key the sender reserved for the message is
 *       discarded when the next good message's ranges start past it.</li>
 *   <li>The MAC key slice, then the pad slice, are claimed (the order the sender took them) through
 *       the lane's {@link LaneCursor}, which consumes a reservation from the store when a message
 *       first names it ({@code consumeAsync}: the watermark moves now, the sync runs behind). A
 *       reservation behind the watermark (REPLAY from the store) or a slice behind the bits
 *       already used is refused: no bit is taken twice. From here on the message's key is spent at
 *       both ends whatever happens.</li>
 *   <li>Once the reservation's watermark is durable, and after the messages of the lane claimed
 *       before it ({@link LaneCursor#inOrder}, on the relay's background threads): the tag is
 *       verified over header and ciphertext, in constant time; only then is anything in the
 *       message trusted, including the sequence number, which must increase.</li>
 * </ol>
 * So the gRPC thread of the stream never waits for a device sync: while one reservation's sync
 * runs, the messages behind it are claimed, and their work waits its turn.
 */
final class HopReceiver {

    /** Interval between retries while the blocks a range needs have not arrived here yet. */
    private static final long KEY_POLL_MILLIS = 2;
    /**
     * How long a trim waits for the blocks its range needs, at least. A trim names key near the far
     * end of the sender's lane (all but the low-water mark of it discarded), which this end may not
     * have yet while its key supply lags (paused on a full lane until that lane's trim, or
     * restarted); nothing behind a trim on the stream could be used before it anyway.
     */
    private static final Duration TRIM_KEY_ARRIVAL_WAIT = Duration.ofSeconds(20);

    private final RelayContext ctx;
    private final Function<String, RelayNeighbor> neighborByLink;
    private final Function<String, HopSender> senderByNode;
    private final RelayedKeySink sink;
    private final SequenceGuard sequences;
    /** This end's position in each peer lane, by lane id; each used under its own lock (see {@link LaneCursor}). */
    private final Map<String, LaneCursor> cursors = new ConcurrentHashMap<>();

    HopReceiver(RelayContext ctx, Function<String, RelayNeighbor> neighborByLink,
                Function<String, HopSender> senderByNode, RelayedKeySink sink, SequenceGuard sequences) {
        this.ctx = ctx;
        this.neighborByLink = neighborByLink;
        this.senderByNode = senderByNode;
        this.sink = sink;
        this.sequences = sequences;
    }

    /**
     * Handles one message; never throws: failures become responses naming the hop. Takes
     * {@code request} over: a relay node swaps the pads in its ciphertext's own arrays (as
     * {@link InboundHopMarshaller} reads them, no one else's) and forwards those.
     */
    CompletableFuture<RelayHopResponse> handle(RelayHopRequest request, PeerIdentity caller) {
        if (request.hasLaneTrim()) {
            return trim(request, caller);
        }
        Hop hop = describe(request, caller);
        UUID serviceId = null;
        try {
            serviceId = parseServiceId(request, hop);
            return receive(request, caller, hop, serviceId);
        } catch (RelayException e) {
            return CompletableFuture.completedFuture(fail(request, hop, serviceId, e));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(fail(request, hop, serviceId, RelayContext.internal(hop, e)));
        }
    }

    private CompletableFuture<RelayHopResponse> receive(RelayHopRequest request, PeerIdentity caller, Hop hop,
                                                        UUID serviceId) {
        long sequence = request.getSequence();
        if (sequence == 0) {
            throw invalid(hop, "sequence: must be >= 1");
        }
        List<String> route = request.getRouteQkdnIdsList();
        checkRoute(route, request.getHopIndex(), hop);
        int index = request.getHopIndex();
        String from = route.get(index - 1);
        if (!caller.id().equals(from)) {
            throw RelayException.at(hop, Status.Code.PERMISSION_DENIED, "caller: its certificate names node "
                    + caller.id() + ", but the route has node " + from + " send this hop");
        }
        boolean laneKey = checkPayloadFields(request, index, hop);
        // the key's slice of the lane: the pad's, or for lane key the key's own
        String padField = laneKey ? "key_range" : "pad_range";
        PoolRange padRange = laneKey ? request.getKeyRange() : request.getPadRange();
        if (!request.hasMacKeyRange()) {
            throw invalid(hop, "mac_key_range: missing");
        }
        String link = padRange.getQkdlId();
        if (!link.equals(request.getMacKeyRange().getQkdlId())) {
            throw invalid(hop, "mac_key_range.qkdl_id: must be the link of " + padField + ", " + link);
        }
        RelayNeighbor neighbor = neighborByLink.apply(link);
        if (neighbor == null || !neighbor.qkdnId().equals(from)) {
            throw RelayException.at(hop, Status.Code.PERMISSION_DENIED,
                    padField + ".qkdl_id: link " + link + " does not join node " + from + " to this node");
        }
        String lane = LaneIds.of(link, from);
        checkLane(padRange, padField, lane, hop);
        checkLane(request.getMacKeyRange(), "mac_key_range", lane, hop);
        RangeCodec.Slice macSlice = RangeCodec.fromProto(request.getMacKeyRange(), "mac_key_range", hop);
        RangeCodec.Slice padSlice = RangeCodec.fromProto(padRange, padField, hop);
        if (macSlice.lengthBits() != HopCipher.MAC_KEY_BITS) {
            throw invalid(hop, "mac_key_range.slice_length_bits: must be " + HopCipher.MAC_KEY_BITS);
        }
        long padBits = padSlice.lengthBits();
        if (padBits <= 0 || padBits > ctx.maxPayloadBytes * 8L) {
            throw invalid(hop, padField + ".slice_length_bits: must be 8.." + ctx.maxPayloadBytes * 8L + ", got "
                    + padBits);
        }

        RelayCounters.Link counters = ctx.counters.link(link);
        LaneCursor cursor = cursors.computeIfAbsent(lane, l -> new LaneCursor());
        LaneCursor.Consumer consumer = (slice, field) -> consume(slice.reservation(), field, hop, ctx.keyArrivalWait);
        CompletableFuture<RelayHopResponse> result = new CompletableFuture<>();
        synchronized (cursor) {
            LaneCursor.Claim claim = cursor.claim(macSlice, padSlice, padField, hop, consumer);
            // From here on the message's key is spent at both ends, whatever happens.
            counters.authBitsReceived.add(HopCipher.MAC_KEY_BITS);
            cursor.inOrder(claim, new LaneCursor.Work() {
                @Override
                public void run(byte[] macKey, KeySlice pad) {
                    CompletableFuture<RelayHopResponse> r;
                    try {
                        r = laneKey ? deliverLaneKey(request, hop, serviceId, macKey, pad, counters)
                                : deliver(request, hop, serviceId, macKey, pad, counters);
                    } catch (RelayException e) {
                        r = CompletableFuture.completedFuture(fail(request, hop, serviceId, e));
                    } catch (RuntimeException e) {
                        r = CompletableFuture.completedFuture(fail(request, hop, serviceId, RelayContext.internal(hop, e)));
                    }
                    r.whenComplete((response, t) -> result.complete(response));
                }

                @Override
                public void failed(Throwable cause) {
                    result.complete(fail(request, hop, serviceId, keyFailure(cause, "mac_key_range", hop)));
                }
            }, this::runInOrder);
        }
        return result;
    }

    /**
     * Which kind of hop message {@code request} is, after checking it has the fields of exactly
     * one: true for a first hop of lane key ({@code key_range}, no {@code pad_range}, no
     * {@code ciphertext}), false for a padded hop ({@code pad_range} and {@code ciphertext}).
     *
     * @throws RelayException INVALID_ARGUMENT naming the field
     */
    private static boolean checkPayloadFields(RelayHopRequest request, int index, Hop hop) {
        if (request.hasKeyRange()) {
            if (index != 1) {
                throw invalid(hop, "key_range: only hop 1 may name lane key; hop " + index
                        + " must carry pad_range and ciphertext");
            }
            if (request.hasPadRange()) {
                throw invalid(hop, "pad_range: must not be set with key_range");
            }
            if (!request.getCiphertext().isEmpty()) {
                throw invalid(hop, "ciphertext: must be empty with key_range (the key is the named range)");
            }
            return true;
        }
        if (!request.hasPadRange()) {
            throw invalid(hop, "pad_range: missing");
        }
        if (request.getCiphertext().isEmpty()) {
            throw invalid(hop, "ciphertext: missing (a message with pad_range carries the key XOR the pad)");
        }
        return false;
    }

    /**
     * A lane trim from the caller (see the proto's {@code LaneTrim}): consumes its MAC key range
     * through the lane's cursor, in stream order, which discards this copy's key before it, then
     * checks the tag. Never throws: failures become responses naming the hop.
     */
    private CompletableFuture<RelayHopResponse> trim(RelayHopRequest request, PeerIdentity caller) {
        LaneTrim trim = request.getLaneTrim();
        String link = trim.getMacKeyRange().getQkdlId();
        Hop hop = new Hop(1, caller.id(), ctx.selfId, link.isEmpty() ? "?" : link);
        try {
            if (!request.getServiceId().isEmpty() || request.getSequence() != 0 || request.getRouteQkdnIdsCount() != 0
                    || request.getHopIndex() != 0 || request.hasPadRange() || request.hasMacKeyRange()
                    || !request.getCiphertext().isEmpty() || !request.getTag().isEmpty() || request.hasKeyRange()) {
                throw invalid(hop, "lane_trim: must come without the fields of a hop (1 to 8 and 11)");
            }
            if (!trim.hasMacKeyRange()) {
                throw invalid(hop, "lane_trim.mac_key_range: missing");
            }
            RelayNeighbor neighbor = neighborByLink.apply(link);
            if (neighbor == null || !neighbor.qkdnId().equals(caller.id())) {
                throw RelayException.at(hop, Status.Code.PERMISSION_DENIED, "lane_trim.mac_key_range.qkdl_id: link "
                        + link + " does not join node " + caller.id() + " to this node");
            }
            String lane = LaneIds.of(link, caller.id());
            checkLane(trim.getMacKeyRange(), "lane_trim.mac_key_range", lane, hop);
            if (trim.getDiscardedBits() < 0 || trim.getDiscardedBits() % 8 != 0) {
                throw invalid(hop, "lane_trim.discarded_bits: must be a multiple of 8, got "
                        + Long.toUnsignedString(trim.getDiscardedBits()));
            }
            RangeCodec.Slice macSlice = RangeCodec.fromProto(trim.getMacKeyRange(), "lane_trim.mac_key_range", hop);
            if (macSlice.reservation().lengthBits() != HopCipher.MAC_KEY_BITS
                    || macSlice.lengthBits() != HopCipher.MAC_KEY_BITS) {
                throw invalid(hop, "lane_trim.mac_key_range: must be a range of exactly " + HopCipher.MAC_KEY_BITS
                        + " bits, used whole");
            }
            RelayCounters.Link counters = ctx.counters.link(link);
            LaneCursor cursor = cursors.computeIfAbsent(lane, l -> new LaneCursor());
            CompletableFuture<RelayHopResponse> result = new CompletableFuture<>();
            Duration trimWait = ctx.keyArrivalWait.compareTo(TRIM_KEY_ARRIVAL_WAIT) > 0 ? ctx.keyArrivalWait
                    : TRIM_KEY_ARRIVAL_WAIT;
            synchronized (cursor) {
                LaneCursor.Claim claim = cursor.claimAlone(macSlice, "lane_trim.mac_key_range", hop,
                        (slice, field) -> consume(slice.reservation(), field, hop, trimWait));
                counters.authBitsReceived.add(HopCipher.MAC_KEY_BITS);
                cursor.inOrder(claim, new LaneCursor.Work() {
                    @Override
                    public void run(byte[] macKey, KeySlice noPad) {
                        byte[] tag = trim.getTag().toByteArray();
                        // MessageDigest.isEqual is constant-time for equal lengths
                        if (tag.length == HopCipher.TAG_BYTES
                                && MessageDigest.isEqual(HopCipher.trimTag(macKey, trim), tag)) {
                            result.complete(response(request, 1, OperationResult.getDefaultInstance()));
                        } else {
                            result.complete(fail(request, hop, null, RelayException.at(hop, Status.Code.DATA_LOSS,
                                    "lane_trim.tag: the Poly1305 tag does not verify (altered in transit, or the "
                                            + "two copies of lane " + lane + " differ); the trim's key is spent at both ends")));
                        }
                    }

                    @Override
                    public void failed(Throwable cause) {
                        result.complete(fail(request, hop, null, keyFailure(cause, "lane_trim.mac_key_range", hop)));
                    }
                }, this::runInOrder);
            }
            return result;
        } catch (RelayException e) {
            return CompletableFuture.completedFuture(fail(request, hop, null, e));
        } catch (RuntimeException e) {
            return CompletableFuture.completedFuture(fail(request, hop, null, RelayContext.internal(hop, e)));
        }
    }

    /**
     * Runs a message's work on the relay's background threads; once {@link RelayNode#close()} has
     * stopped them, on the calling thread, so the work still answers and erases its key.
     */
    private void runInOrder(Runnable work) {
        try {
            ctx.background.execute(work);
        } catch (RejectedExecutionException e) {
            work.run();
        }
    }

    /**
     * The part of a message that uses its key, run once the key's watermark is durable, in the
     * lane's order: verifies the tag, then decrypts and delivers the key (last hop) or swaps this
     * hop's pad for the next hop's in one pass and forwards it.
     */
    private CompletableFuture<RelayHopResponse> deliver(RelayHopRequest request, Hop hop, UUID serviceId, byte[] macKey,
                                                        KeySlice pad, RelayCounters.Link counters) {
        long padBits = pad.length() * 8L;
        ByteString ciphertext = request.getCiphertext();
        int n = ciphertext.size();
        byte[] tag = request.getTag().toByteArray();
        if (isLastHop(request) && n == pad.length()) {
            // copy out, check and decrypt in one pass (key is zeroed if the tag fails)
            byte[] key = new byte[n];
            if (!HopCipher.verifyAndDecrypt(macKey, request, ciphertext, key, pad, tag)) {
                throw badTag(hop, n);
            }
            return toSink(request, hop, serviceId, counters, key);
        }
        // data stays ciphertext until the forward swaps the pads, so the plaintext is never written
        // here; in the message's own chunks (see handle), else in a copy
        ChunkedBytes data = ChunkedBytes.sharing(ciphertext);
        boolean tagOk;
        if (data != null) {
            tagOk = HopCipher.verify(macKey, request, data, tag);
        } else {
            data = ChunkedBytes.allocate(n);
            tagOk = HopCipher.copyAndVerify(macKey, request, ciphertext, data, tag);
        }
        if (!tagOk) {
            throw badTag(hop, n);
        }
        if (n * 8L != padBits) {
            throw invalid(hop, "ciphertext: " + n * 8L + " bits for a pad of " + padBits + " bits");
        }
        return forwardOn(request, hop, serviceId, counters, data, pad);
    }

    private static RelayException badTag(Hop hop, int ciphertextBytes) {
        return RelayException.at(hop, Status.Code.DATA_LOSS, "tag: the Poly1305 tag does not verify over the "
                + "header and " + ciphertextBytes + " bytes of ciphertext (altered or truncated in transit); "
                + "its key (pad_range, mac_key_range) is spent at both ends and not used");
    }

    /**
     * The part of a first-hop message of lane key that uses its key, run as {@link #deliver} is:
     * verifies the tag over the header (the key itself is this node's copy of the slice the
     * sender named, {@code key}), then hands a copy of the key to the sink (last hop) or pads it
     * with this node's lane of the next link, taking it off the slice in the same pass, and
     * forwards it. The slice is erased when this returns.
     */
    private CompletableFuture<RelayHopResponse> deliverLaneKey(RelayHopRequest request, Hop hop, UUID serviceId,
                                                               byte[] macKey, KeySlice key, RelayCounters.Link counters) {
        byte[] tag = request.getTag().toByteArray();
        // MessageDigest.isEqual is constant-time for equal lengths
        if (tag.length != HopCipher.TAG_BYTES || !MessageDigest.isEqual(HopCipher.laneKeyTag(macKey, request), tag)) {
            throw RelayException.at(hop, Status.Code.DATA_LOSS, "tag: the Poly1305 tag does not verify over the "
                    + "header (altered in transit); its key (key_range, mac_key_range) is spent at both ends and not "
                    + "used");
        }
        if (isLastHop(request)) {
            return toSink(request, hop, serviceId, counters,
                    Arrays.copyOfRange(key.bytes(), key.offset(), key.offset() + key.length()));
        }
        // zeros: the forward's swap writes key XOR next pad into them
        return forwardOn(request, hop, serviceId, counters, ChunkedBytes.allocate(key.length()), key);
    }

    private static boolean isLastHop(RelayHopRequest request) {
        return request.getHopIndex() == request.getRouteQkdnIdsCount() - 1;
    }

    /** The last hop's verified {@code key}: checks its sequence number, counts it and hands it to the sink. */
    private CompletableFuture<RelayHopResponse> toSink(RelayHopRequest request, Hop hop, UUID serviceId,
                                                       RelayCounters.Link counters, byte[] key) {
        try {
            acceptSequence(request, hop, serviceId, counters, key.length);
        } catch (RelayException e) {
            Arrays.fill(key, (byte) 0);
            throw e;
        }
        long sequence = request.getSequence();
        try {
            sink.accept(serviceId, sequence, key);
        } catch (RelayException e) {
            throw RelayException.at(hop, e.code(), "key sink refused the key: " + e.getMessage());
        } catch (RuntimeException e) {
            throw RelayException.at(hop, Status.Code.INTERNAL,
                    "key sink failed (" + e.getClass().getSimpleName() + ")");
        }
        return CompletableFuture.completedFuture(response(request, request.getHopIndex(),
                OperationResult.getDefaultInstance()));
    }

    /**
     * A verified key's way on from a relay node: checks its sequence number, counts it and
     * forwards {@code data} with {@code inbound} swapped for the next hop's pad
     * ({@link HopSender#forward}).
     */
    private CompletableFuture<RelayHopResponse> forwardOn(RelayHopRequest request, Hop hop, UUID serviceId,
                                                          RelayCounters.Link counters, ChunkedBytes data,
                                                          KeySlice inbound) {
        acceptSequence(request, hop, serviceId, counters, data.length());
        long sequence = request.getSequence();
        List<String> route = request.getRouteQkdnIdsList();
        int index = request.getHopIndex();
        String next = route.get(index + 1);
        HopSender sender = senderByNode.apply(next);
        if (sender == null) {
            Hop nextHop = new Hop(index + 1, ctx.selfId, next, "?");
            RelayException e = RelayException.at(nextHop, Status.Code.FAILED_PRECONDITION,
                    "route_qkdn_ids: this node has no link to node " + next);
            return CompletableFuture.completedFuture(fail(request, nextHop, serviceId, e));
        }
        CompletableFuture<RelayHopResponse> forwarded = sender.forward(serviceId, sequence, route, index + 1, data, inbound);
        return forwarded.handle((r, t) -> {
            if (t == null) {
                // the downstream result, success or the hop that failed, passes through unchanged
                return response(request, r.getResultHopIndex(), r.getResult());
            }
            RelayException e = t instanceof RelayException ? (RelayException) t
                    : RelayContext.internal(new Hop(index + 1, ctx.selfId, next, sender.neighbor().qkdlId()), t);
            // the sender side already counted and alarmed it
            return response(request, e.hopIndex(), result(e));
        });
    }

    /** Refuses a replayed sequence number (FAILED_PRECONDITION), else counts the message's {@code bytes}. */
    private void acceptSequence(RelayHopRequest request, Hop hop, UUID serviceId, RelayCounters.Link counters,
                                int bytes) {
        long sequence = request.getSequence();
        long last = sequences.accept(serviceId, sequence);
        if (last != 0) {
            throw RelayException.at(hop, Status.Code.FAILED_PRECONDITION, "sequence: "
                    + Long.toUnsignedString(sequence) + " is not above " + Long.toUnsignedString(last)
                    + ", the last accepted for service " + serviceId + " (a replayed message)");
        }
        counters.messagesReceived.increment();
        counters.bitsReceived.add(bytes * 8L);
    }

    private CompletableFuture<ReservedKey> consume(KeyRange range, String field, Hop hop, Duration wait) {
        long deadline = System.nanoTime() + wait.toNanos();
        while (true) {
            try {
                return ctx.store.consumeAsync(range);
            } catch (KeyPoolException e) {
                if (e.reason() == KeyPoolException.Reason.INSUFFICIENT_KEY && System.nanoTime() < deadline) {
                    try {
                        Thread.sleep(KEY_POLL_MILLIS);
                    } catch (InterruptedException ie) {
                        Thread.currentThread().interrupt();
                        throw RelayException.at(hop, Status.Code.CANCELLED, field + ": interrupted");
                    }
                    continue;
                }
                if (e.reason() == KeyPoolException.Reason.INSUFFICIENT_KEY) {
                    throw RelayException.at(hop, Status.Code.UNAVAILABLE, field + ": the range runs past the key this "
                            + "end has received so far (waited " + wait.toMillis() + " ms); retry later");
                }
                throw mapStoreFailure(e, field, hop);
            }
        }
    }

    /** Why a claimed message's key could not be read (its reservation's consume or sync failed). */
    private RelayException keyFailure(Throwable cause, String field, Hop hop) {
        return cause instanceof KeyPoolException ? mapStoreFailure((KeyPoolException) cause, field, hop)
                : RelayContext.internal(hop, cause);
    }

    private RelayException mapStoreFailure(KeyPoolException e, String field, Hop hop) {
        switch (e.reason()) {
            case REPLAY:
                return RelayException.at(hop, Status.Code.FAILED_PRECONDITION, field
                        + ": the range starts behind this end's watermark, so its key was used already (a replayed "
                        + "message): " + e.getMessage());
            case RANGE_MISMATCH:
                return RelayException.at(hop, Status.Code.FAILED_PRECONDITION,
                        field + ": the range does not match this end's blocks: " + e.getMessage());
            case INSUFFICIENT_KEY:
                return RelayException.at(hop, Status.Code.UNAVAILABLE, field + ": the range runs past the key this "
                        + "end has received so far; retry later");
            case UNKNOWN_POOL:
                return RelayException.at(hop, Status.Code.FAILED_PRECONDITION,
                        field + ".pool_id: this node has no pool " + e.getMessage());
            case CORRUPT:
                return RelayException.at(hop, Status.Code.DATA_LOSS, field + ": the stored key is damaged");
            case STORAGE_FAILURE:
            case CLOSED:
                return RelayException.at(hop, Status.Code.UNAVAILABLE, field + ": the key store is unavailable");
            default:
                return RelayException.at(hop, Status.Code.INTERNAL, field + ": " + e.reason());
        }
    }

    private RelayHopResponse fail(RelayHopRequest request, Hop hop, UUID serviceId, RelayException e) {
        ctx.failure(hop, serviceId, request.getSequence(), e);
        return response(request, e.hopIndex(), result(e));
    }

    private static OperationResult result(RelayException e) {
        return OperationResult.newBuilder().setCode(e.code().value()).setMessage(e.getMessage()).build();
    }

    private static RelayHopResponse response(RelayHopRequest request, int hopIndex, OperationResult result) {
        return RelayHopResponse.newBuilder()
                .setServiceId(request.getServiceId())
                .setSequence(request.getSequence())
                .setResult(result)
                .setResultHopIndex(hopIndex)
                .setMessageId(request.getMessageId())
                .build();
    }

    /** The hop as far as the message and the caller tell it, for error messages before validation. */
    private Hop describe(RelayHopRequest request, PeerIdentity caller) {
        int index = request.getHopIndex();
        List<String> route = request.getRouteQkdnIdsList();
        String from = index >= 1 && index <= route.size() ? route.get(index - 1) : caller.id();
        String link = (request.hasKeyRange() ? request.getKeyRange() : request.getPadRange()).getQkdlId();
        if (link.isEmpty()) {
            link = "?";
        }
        return new Hop(index, from, ctx.selfId, link);
    }

    private static UUID parseServiceId(RelayHopRequest request, Hop hop) {
        try {
            return UUID.fromString(request.getServiceId());
        } catch (IllegalArgumentException e) {
            throw invalid(hop, "service_id: not a UUID");
        }
    }

    private void checkRoute(List<String> route, int index, Hop hop) {
        if (route.size() < 2) {
            throw invalid(hop, "route_qkdn_ids: needs at least 2 nodes, got " + route.size());
        }
        if (new HashSet<>(route).size() != route.size() || route.stream().anyMatch(String::isBlank)) {
            throw invalid(hop, "route_qkdn_ids: nodes must be non-blank and distinct");
        }
        if (index < 1 || index >= route.size()) {
            throw invalid(hop, "hop_index: must be 1.." + (route.size() - 1) + ", got " + Integer.toUnsignedString(index));
        }
        if (!route.get(index).equals(ctx.selfId)) {
            throw invalid(hop, "route_qkdn_ids[hop_index]: names node " + route.get(index)
                    + ", but this is node " + ctx.selfId);
        }
    }

    private static void checkLane(PoolRange range, String field, String lane, Hop hop) {
        if (!range.getPoolId().equals(lane)) {
            throw invalid(hop, field + ".pool_id: must be the sending node's lane " + lane);
        }
    }

    private static RelayException invalid(Hop hop, String what) {
        return RelayException.at(hop, Status.Code.INVALID_ARGUMENT, what);
    }
}

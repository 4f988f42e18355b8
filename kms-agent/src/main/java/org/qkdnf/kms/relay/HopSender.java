package org.qkdnf.kms.relay;

import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.google.protobuf.ByteString;
import io.grpc.ClientInterceptor;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.api.KeyPoolException;
import org.qkdnf.kms.api.ReservedKey;
import org.qkdnf.proto.keyrelay.v1.KeyRelayServiceGrpc;
import org.qkdnf.proto.keyrelay.v1.LaneTrim;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends relay hops to one neighbour, over one ordered stream, with key of this node's lane of the
 * link to it.
 *
 * <p>Ordering is the point of this class: {@link #send} takes the MAC key and the pad (or, for
 * {@link #sendLaneKey}, the key itself) as the next slices of the lane's current reservation (reserving a new one from the store when it runs out)
 * and writes the message to the stream under one lock, so the stream carries slices and
 * reservations in the order they were taken, and the receiver, which handles one stream's
 * messages in order, takes them in that order too. A message lost in between (stream broken, slice
 * not sent) only makes the receiver skip ahead and erase that key, never reuse it.
 *
 * <p>Reservations: one {@code reserve} (one durable store update, a device sync) serves many
 * messages; the receiver likewise consumes a reservation once, when a message first names it. The
 * unused rest of a reservation lives only in memory at both ends and is lost, never reused, if a
 * node stops. After a failure reported for this hop, or a broken stream or a timeout, the sender
 * starts the next message on a fresh reservation, since the receiver's place in the old one is
 * no longer known.
 *
 * <p>Flow control: at most {@code maxInFlight} messages wait for their result; {@link #send}
 * blocks for a permit. Every message has a timeout (the stream itself has no deadline: it lives
 * as long as the neighbour relationship).
 */
final class HopSender implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(HopSender.class);

    private final RelayContext ctx;
    private final RelayNeighbor neighbor;
    private final String lane;
    private final ManagedChannel channel;
    private final KeyRelayServiceGrpc.KeyRelayServiceStub stub;
    private final Semaphore inFlight;
    private final Duration timeout;
    private final RelayCounters.Link counters;
    private final Object laneLock = new Object();
    private final long reservationMaxBits;
    /** The open stream, or null; guarded by laneLock. */
    private Stream stream;
    /** The reservation of the lane being sliced, or null; guarded by laneLock. */
    private ReservedKey reservation;
    /** Bits of {@link #reservation} already used (or skipped); guarded by laneLock. */
    private long reservationUsedBits;
    /** The next reservation, being reserved in the background, or null; guarded by laneLock. */
    private CompletableFuture<ReservedKey> nextReservation;
    private boolean closed;

    HopSender(RelayContext ctx, RelayNeighbor neighbor, TlsFiles tls, List<ClientInterceptor> interceptors,
              int maxInFlight, Duration timeout, long reservationMaxBits) {
        this.ctx = ctx;
        this.neighbor = neighbor;
        this.lane = LaneIds.of(neighbor.qkdlId(), ctx.selfId);
        List<ClientInterceptor> all = new ArrayList<>(interceptors);
        all.add(new ServerIdentityCheck(neighbor.qkdnId()));
        this.channel = NettyChannelBuilder.forAddress(neighbor.host(), neighbor.port(), GrpcTls.channelCredentials(tls))
                .flowControlWindow(RelayNode.FLOW_CONTROL_WINDOW_BYTES)
                .intercept(all)
                .build();
        this.stub = KeyRelayServiceGrpc.newStub(channel);
        this.inFlight = new Semaphore(maxInFlight);
        this.timeout = timeout;
        this.reservationMaxBits = reservationMaxBits;
        this.counters = ctx.counters.link(neighbor.qkdlId());
    }

    RelayNeighbor neighbor() {
        return neighbor;
    }

    /**
     * Encrypts {@code plaintext} for hop {@code hopIndex} of {@code route} and sends it. The
     * plaintext is not kept: the caller may erase it when this returns.
     *
     * @return the response of the receiving node, once the key reached the end of the route or
     *         failed; fails with {@link RelayException} when the message could not be sent or no
     *         response came in time
     */
    CompletableFuture<RelayHopResponse> send(UUID serviceId, long sequence, List<String> route, int hopIndex,
                                             byte[] plaintext) {
        return send(serviceId, sequence, route, hopIndex, plaintext, null, null, false);
    }

    /**
     * Re-encrypts a key that arrived as {@code ciphertext} under {@code inboundPad} (the previous
     * hop's pad, lent for this call) for hop {@code hopIndex} and sends it: both pads in one pass,
     * so the plaintext key is never written out on this node. A key that came as lane key
     * ({@code key_range}) is forwarded the same way: {@code ciphertext} zeros, {@code inboundPad}
     * the key's slice of the previous hop's lane. {@code ciphertext} becomes the
     * outgoing message's ciphertext; the caller must not use or change it afterwards.
     *
     * @return as {@link #send(UUID, long, List, int, byte[])}
     */
    CompletableFuture<RelayHopResponse> forward(UUID serviceId, long sequence, List<String> route, int hopIndex,
                                                ChunkedBytes ciphertext, KeySlice inboundPad) {
        if (inboundPad.length() != ciphertext.length()) {
            throw new IllegalArgumentException("inboundPad: " + inboundPad.length() + " bytes for "
                    + ciphertext.length() + " bytes of ciphertext");
        }
        return send(serviceId, sequence, route, hopIndex, null, ciphertext, inboundPad, false);
    }

    /**
     * Relays key of this node's lane of the link as hop 1 of {@code route}: takes the MAC key and
     * then {@code keyOut.length} bytes as the next slices of the lane's reservation, copies the
     * latter into {@code keyOut} and names their range ({@code key_range}) instead of sending them:
     * the neighbour holds the same bits and takes them from its copy. No pad, no ciphertext.
     * {@code keyOut} holds the key from the moment the message is sent, also when the result then
     * fails (the caller erases it then: those bits are spent at both ends, never used).
     *
     * @return as {@link #send(UUID, long, List, int, byte[])}
     */
    CompletableFuture<RelayHopResponse> sendLaneKey(UUID serviceId, long sequence, List<String> route, byte[] keyOut) {
        return send(serviceId, sequence, route, 1, keyOut, null, null, true);
    }

    /**
     * One of: {@code data} the plaintext, kept unchanged ({@link #send(UUID, long, List, int, byte[])});
     * {@code data} receiving lane key, {@code laneKey} true ({@link #sendLaneKey}); {@code forwarded}
     * and {@code strip} ({@link #forward}), {@code data} null.
     */
    private CompletableFuture<RelayHopResponse> send(UUID serviceId, long sequence, List<String> route, int hopIndex,
                                                     byte[] data, ChunkedBytes forwarded, KeySlice strip,
                                                     boolean laneKey) {
        Hop hop = new Hop(hopIndex, ctx.selfId, neighbor.qkdnId(), neighbor.qkdlId());
        try {
            inFlight.acquire();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return failed(hop, serviceId, sequence, RelayException.at(hop, Status.Code.CANCELLED, "interrupted"));
        }
        CompletableFuture<RelayHopResponse> result = new CompletableFuture<>();
        result.whenComplete((r, t) -> inFlight.release());
        Pending sent;
        try {
            synchronized (laneLock) {
                sent = sendLocked(hop, serviceId, sequence, route, data, forwarded, strip, laneKey, result);
            }
        } catch (RuntimeException e) {
            result.completeExceptionally(reported(hop, serviceId, sequence, e));
            return result;
        }
        return resultInTime(sent, "");
    }

    /** {@code e} as a relay failure of the message, counted and alarmed. */
    private RelayException reported(Hop hop, UUID serviceId, long sequence, RuntimeException e) {
        RelayException r = e instanceof RelayException ? (RelayException) e : RelayContext.internal(hop, e);
        ctx.failure(hop, serviceId, sequence, r);
        return r;
    }

    /**
     * The answer to {@code sent}, or DEADLINE_EXCEEDED (counted and alarmed) when none came within
     * the message timeout; {@code what} prefixes that failure's description.
     */
    private CompletableFuture<RelayHopResponse> resultInTime(Pending sent, String what) {
        Hop hop = sent.hop();
        return sent.result().orTimeout(timeout.toMillis(), TimeUnit.MILLISECONDS).handle((r, t) -> {
            if (t == null) {
                return r;
            }
            if (t instanceof TimeoutException) {
                sent.stream.pending.remove(sent.messageId, sent);
                dropReservationIf(sent.reservation);  // the receiver's place in it is unknown
                RelayException e = RelayException.at(hop, Status.Code.DEADLINE_EXCEEDED,
                        what + "no result within " + timeout.toMillis() + " ms");
                ctx.failure(hop, sent.serviceId(), sent.sequence(), e);
                throw e;
            }
            throw t instanceof RelayException ? (RelayException) t : RelayContext.internal(hop, t);
        });
    }

    private Pending sendLocked(Hop hop, UUID serviceId, long sequence, List<String> route, byte[] data,
                               ChunkedBytes forwarded, KeySlice strip, boolean laneKey,
                               CompletableFuture<RelayHopResponse> result) {
        if (closed) {
            throw RelayException.at(hop, Status.Code.UNAVAILABLE, "this node is shutting down");
        }
        Stream s = openStream();
        long messageId = ++s.lastMessageId;
        Pending mine = new Pending(hop, serviceId, sequence, result, s, messageId);
        s.pending.put(messageId, mine);
        // the pad's, or for lane key the key's: the same place in the lane
        long padBits = (data != null ? data.length : forwarded.length()) * 8L;
        long need = HopCipher.MAC_KEY_BITS + padBits;
        String padField = laneKey ? "key_range" : "pad_range";
        ReservedKey res = null;
        byte[] macKey = null;
        boolean padErased = false;
        int from = 0;
        try {
            res = ensureReservation(hop, need, padField);
            long macOffset = reservationUsedBits;
            long padOffset = macOffset + HopCipher.MAC_KEY_BITS;
            from = (int) (macOffset / 8);
            // taken whatever happens next: a slice is never offered twice (and is erased below)
            reservationUsedBits += need;
            prefetchNextReservation(need);
            mine.reservation = res;
            counters.authBitsSent.add(HopCipher.MAC_KEY_BITS);
            byte[] chunk = res.key();
            macKey = Arrays.copyOfRange(chunk, from, from + HopCipher.MAC_KEY_BYTES);
            Arrays.fill(chunk, from, from + HopCipher.MAC_KEY_BYTES, (byte) 0);
            RelayHopRequest.Builder b = RelayHopRequest.newBuilder()
                    .setServiceId(serviceId.toString())
                    .setSequence(sequence)
                    .setMessageId(messageId)
                    .addAllRouteQkdnIds(route)
                    .setHopIndex(hop.index())
                    .setMacKeyRange(RangeCodec.toProto(res.range(), neighbor.qkdlId(), macOffset,
                            HopCipher.MAC_KEY_BITS));
            if (laneKey) {
                b.setKeyRange(RangeCodec.toProto(res.range(), neighbor.qkdlId(), padOffset, padBits));
                int keyFrom = (int) (padOffset / 8);
                System.arraycopy(chunk, keyFrom, data, 0, data.length);
                Arrays.fill(chunk, keyFrom, keyFrom + data.length, (byte) 0);
                padErased = true;  // the key lives on in data only, which is the caller's
                b.setTag(ByteString.copyFrom(HopCipher.laneKeyTag(macKey, b)));
            } else {
                b.setPadRange(RangeCodec.toProto(res.range(), neighbor.qkdlId(), padOffset, padBits));
                int padFrom = (int) (padOffset / 8);
                ChunkedBytes ciphertext;
                byte[] tag;
                if (forwarded == null) {
                    ciphertext = ChunkedBytes.allocate(data.length);
                    tag = HopCipher.encryptAndTag(macKey, b, ciphertext, data, chunk, padFrom);
                } else {
                    ciphertext = forwarded;
                    tag = HopCipher.swapAndTag(macKey, b, ciphertext, strip, chunk, padFrom);
                }
                padErased = true;  // the cipher zeroed the pad as it used it
                b.setCiphertext(ciphertext.asByteString()).setTag(ByteString.copyFrom(tag));
            }
            s.requests.onNext(b.build());
            counters.messagesSent.increment();
            counters.bitsSent.add(padBits);
            return mine;
        } catch (RuntimeException e) {
            s.pending.remove(messageId, mine);
            throw e;
        } finally {
            if (macKey != null) {
                Arrays.fill(macKey, (byte) 0);
            }
            if (res != null && !padErased) {
                Arrays.fill(res.key(), from, from + (int) (need / 8), (byte) 0);
            }
        }
    }

    /** The open stream to the neighbour, opened if there is none. Guarded by laneLock. */
    private Stream openStream() {
        Stream s = stream;
        if (s == null) {
            s = new Stream();
            s.requests = stub.relayHop(s);
            stream = s;
        }
        return s;
    }

    /**
     * Trims this node's lane of the link when it holds more than {@code highWaterBits} (counting
     * what this node reserved ahead and has not named to the neighbour yet, which the neighbour's
     * copy still holds): discards
     * key at the watermark until {@code lowWaterBits} are left, and names the spot to the neighbour
     * in a {@link LaneTrim} on the hop stream, so its copy of the lane drops the same bits (why:
     * see the proto). The unused rest of the current reservation and the one reserved ahead are
     * dropped too: they lie before the discarded key, and the stream names ranges in lane order.
     *
     * @return the neighbour's answer (OK once its copy is trimmed), or null when the lane holds
     *         no more than {@code highWaterBits} or this sender is closed; fails with
     *         {@link RelayException} when the trim could not be sent or no answer came in time
     */
    CompletableFuture<RelayHopResponse> trimIfAbove(long highWaterBits, long lowWaterBits) {
        Hop hop = new Hop(1, ctx.selfId, neighbor.qkdnId(), neighbor.qkdlId());
        CompletableFuture<RelayHopResponse> result = new CompletableFuture<>();
        Pending sent;
        try {
            synchronized (laneLock) {
                // The neighbour's copy also holds what this node reserved ahead and has not named yet.
                if (closed || availableBits(hop) + unnamedReservedBits() <= highWaterBits) {
                    return null;
                }
                dropReservation();
                ReservedKey ahead = takeNextReservation();
                if (ahead != null) {
                    ahead.erase();
                }
                // 0 when the reservation ahead alone took the lane over the mark: the trim then
                // names only where the lane continues, and the neighbour drops what lies before.
                long discard = Math.max(0, (availableBits(hop) - lowWaterBits - HopCipher.MAC_KEY_BITS) / 8 * 8);
                sent = sendTrimLocked(hop, discard, result);
            }
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(reported(hop, null, 0, e));
        }
        return resultInTime(sent, "lane trim: ");
    }

    private Pending sendTrimLocked(Hop hop, long discardBits, CompletableFuture<RelayHopResponse> result) {
        ReservedKey macKey;
        try {
            macKey = ctx.store.reserveAfterDiscarding(lane, discardBits, HopCipher.MAC_KEY_BITS);
        } catch (KeyPoolException e) {
            throw storeFailure(hop, e, "lane_trim.mac_key_range", discardBits + HopCipher.MAC_KEY_BITS);
        }
        Stream s = openStream();
        long messageId = ++s.lastMessageId;
        Pending mine = new Pending(hop, null, 0, result, s, messageId);
        s.pending.put(messageId, mine);
        try {
            counters.trimmedBits.add(discardBits);
            counters.authBitsSent.add(HopCipher.MAC_KEY_BITS);
            LaneTrim.Builder trim = LaneTrim.newBuilder()
                    .setDiscardedBits(discardBits)
                    .setMacKeyRange(RangeCodec.toProto(macKey.range(), neighbor.qkdlId(), 0, HopCipher.MAC_KEY_BITS));
            trim.setTag(ByteString.copyFrom(HopCipher.trimTag(macKey.key(), trim)));
            s.requests.onNext(RelayHopRequest.newBuilder().setMessageId(messageId).setLaneTrim(trim).build());
            return mine;
        } catch (RuntimeException e) {
            s.pending.remove(messageId, mine);
            throw e;
        } finally {
            macKey.erase();
        }
    }

    /**
     * Bits reserved ahead and not named to the neighbour yet (the current reservation was named
     * by its first message, and the neighbour consumed it whole then).
     */
    private long unnamedReservedBits() {
        return counters.reservedAheadBits.sum();
    }

    private long availableBits(Hop hop) {
        try {
            return ctx.store.levels(lane).availableBits();
        } catch (KeyPoolException e) {
            throw storeFailure(hop, e, "lane_trim", 0);
        }
    }

    /**
     * The current reservation of this node's lane, replaced by a new one when it has fewer than
     * {@code need} bits left: the one reserved in the background if there is one and it is large
     * enough, else one reserved now. A reservation takes up to {@code reservationMaxBits}, but at
     * most half the key the lane holds, so a slow link is not emptied into one node's memory; its
     * unused rest is lost if this node stops, which never reuses key. Guarded by laneLock.
     */
    private ReservedKey ensureReservation(Hop hop, long need, String field) {
        if (reservation != null && reservation.range().lengthBits() - reservationUsedBits >= need) {
            return reservation;
        }
        dropReservation();
        ReservedKey next = takeNextReservation();
        if (next != null && next.range().lengthBits() >= need) {
            reservation = next;
        } else {
            if (next != null) {
                next.erase();  // too small for this message; the receiver skips it
            }
            long available;
            try {
                available = ctx.store.levels(lane).availableBits();
            } catch (KeyPoolException e) {
                throw storeFailure(hop, e, field, need);
            }
            long size = Math.max(need, Math.min(reservationMaxBits, available / 2) / 8 * 8);
            reservation = reserve(hop, size, field);
        }
        reservationUsedBits = 0;
        return reservation;
    }

    /**
     * Once half the current reservation is used, reserves the next one on a background thread, so
     * the sync of that reservation overlaps with sending instead of stalling the lane. The
     * reservations still come out of the store in order (only this sender reserves from the
     * lane), so the receiver meets them in order. Guarded by laneLock.
     */
    private void prefetchNextReservation(long lastNeed) {
        if (reservationMaxBits == 0 || nextReservation != null || reservation == null || closed
                || reservationUsedBits * 2 < reservation.range().lengthBits()) {
            return;
        }
        long available;
        try {
            available = ctx.store.levels(lane).availableBits();
        } catch (KeyPoolException e) {
            return;  // the next send reports it
        }
        long size = Math.min(reservationMaxBits, available / 2) / 8 * 8;
        if (size < 2 * lastNeed) {
            return;  // the lane runs low: reserve on demand, exactly sized
        }
        nextReservation = CompletableFuture.supplyAsync(() -> {
            ReservedKey k = ctx.store.reserve(lane, size);
            counters.reservedAheadBits.add(k.range().lengthBits());
            return k;
        }, ctx.background);
    }

    /** The reservation reserved in the background, or null when there is none or it failed. Guarded by laneLock. */
    private ReservedKey takeNextReservation() {
        CompletableFuture<ReservedKey> f = nextReservation;
        nextReservation = null;
        if (f == null) {
            return null;
        }
        try {
            ReservedKey k = f.join();
            counters.reservedAheadBits.add(-k.range().lengthBits());
            return k;
        } catch (CompletionException | CancellationException e) {
            return null;  // reserved on demand instead, which reports the store's refusal
        }
    }

    /**
     * Erases the unused rest of the current reservation, which is never used (each message erased
     * the slices it used, so the whole reservation is zero afterwards). Guarded by laneLock.
     */
    private void dropReservation() {
        if (reservation != null) {
            byte[] key = reservation.key();
            Arrays.fill(key, (int) (reservationUsedBits / 8), key.length, (byte) 0);
            reservation = null;
            reservationUsedBits = 0;
        }
    }

    /**
     * After a failure on this hop the receiver may have lost its place in the reservation (for
     * example a tampered slice moved its cursor, or it restarted): start the next message on a
     * fresh reservation rather than fail the rest of this one.
     */
    private void dropReservationIf(ReservedKey used) {
        synchronized (laneLock) {
            if (used != null && reservation == used) {
                dropReservation();
            }
        }
    }

    private ReservedKey reserve(Hop hop, long bits, String field) {
        try {
            return ctx.store.reserve(lane, bits);
        } catch (KeyPoolException e) {
            throw storeFailure(hop, e, field, bits);
        }
    }

    private RelayException storeFailure(Hop hop, KeyPoolException e, String field, long bits) {
        Status.Code code;
        switch (e.reason()) {
            case INSUFFICIENT_KEY: code = Status.Code.RESOURCE_EXHAUSTED; break;
            case UNKNOWN_POOL: code = Status.Code.FAILED_PRECONDITION; break;
            case CORRUPT: code = Status.Code.DATA_LOSS; break;
            case STORAGE_FAILURE:
            case CLOSED: code = Status.Code.UNAVAILABLE; break;
            default: code = Status.Code.INTERNAL; break;
        }
        return RelayException.at(hop, code, field + ": cannot reserve " + bits + " bits from lane " + lane
                + " (" + e.reason() + "): " + e.getMessage());
    }

    @Override
    public void close() {
        Stream s;
        synchronized (laneLock) {
            closed = true;
            dropReservation();
            if (nextReservation != null) {
                nextReservation.thenAccept(k -> {
                    counters.reservedAheadBits.add(-k.range().lengthBits());
                    k.erase();
                });
                nextReservation = null;
            }
            s = stream;
            stream = null;
        }
        if (s != null) {
            try {
                s.requests.onCompleted();
            } catch (RuntimeException ignored) {
                // the stream is already broken: nothing to finish
            }
        }
        channel.shutdown();
        try {
            if (!channel.awaitTermination(5, TimeUnit.SECONDS)) {
                channel.shutdownNow();
            }
        } catch (InterruptedException e) {
            channel.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }

    private static final class Pending {
        final Hop hop;
        final UUID serviceId;
        final long sequence;
        final CompletableFuture<RelayHopResponse> result;
        final Stream stream;
        final long messageId;
        /** The reservation the message's key came from; set under laneLock before it is sent. */
        volatile ReservedKey reservation;

        Pending(Hop hop, UUID serviceId, long sequence, CompletableFuture<RelayHopResponse> result, Stream stream,
                long messageId) {
            this.hop = hop;
            this.serviceId = serviceId;
            this.sequence = sequence;
            this.result = result;
            this.stream = stream;
            this.messageId = messageId;
        }

        Hop hop() {
            return hop;
        }

        UUID serviceId() {
            return serviceId;
        }

        long sequence() {
            return sequence;
        }

        CompletableFuture<RelayHopResponse> result() {
            return result;
        }
    }

    /** One open stream to the neighbour and the messages on it that wait for their result. */
    private final class Stream implements StreamObserver<RelayHopResponse> {
        final Map<Long, Pending> pending = new ConcurrentHashMap<>();
        StreamObserver<RelayHopRequest> requests;
        /** Guarded by laneLock. */
        long lastMessageId;

        @Override
        public void onNext(RelayHopResponse response) {
            Pending p = pending.remove(response.getMessageId());
            if (p == null) {
                log.warn("stream to node {}: ignoring a response to no request of it (message {})",
                        neighbor.qkdnId(), Long.toUnsignedString(response.getMessageId()));
                return;
            }
            String sentServiceId = p.serviceId() == null ? "" : p.serviceId().toString();  // null: a lane trim
            if (!sentServiceId.equals(response.getServiceId()) || p.sequence() != response.getSequence()) {
                // The receiver saw other values than were sent: the message was altered on the way (its
                // tag then fails there). Still this request's answer.
                log.warn("stream to node {}: message {} was answered for service {} sequence {}, sent as service {} "
                        + "sequence {}", neighbor.qkdnId(), Long.toUnsignedString(response.getMessageId()),
                        response.getServiceId(), Long.toUnsignedString(response.getSequence()), p.serviceId(),
                        Long.toUnsignedString(p.sequence()));
            }
            if (response.getResult().getCode() != Status.Code.OK.value()
                    && response.getResultHopIndex() == p.hop().index()) {
                dropReservationIf(p.reservation);
            }
            p.result().complete(response);
        }

        @Override
        public void onError(Throwable t) {
            end(Status.fromThrowable(t));
        }

        @Override
        public void onCompleted() {
            end(Status.UNAVAILABLE.withDescription("the receiver ended the stream"));
        }

        private void end(Status status) {
            synchronized (laneLock) {
                if (stream == this) {
                    stream = null;
                }
                dropReservation();  // the receiver's place in it is unknown now
            }
            String why = "stream to node " + neighbor.qkdnId() + " ended (" + status.getCode()
                    + (status.getDescription() == null ? "" : ": " + status.getDescription())
                    + "); the message's key is discarded";
            Status.Code code = status.getCode() == Status.Code.PERMISSION_DENIED
                    || status.getCode() == Status.Code.UNAUTHENTICATED ? status.getCode() : Status.Code.UNAVAILABLE;
            for (Long k : List.copyOf(pending.keySet())) {
                Pending p = pending.remove(k);
                if (p != null) {
                    RelayException e = RelayException.at(p.hop(), code, why);
                    ctx.failure(p.hop(), p.serviceId(), p.sequence(), e);
                    p.result().completeExceptionally(e);
                }
            }
        }
    }

    private CompletableFuture<RelayHopResponse> failed(Hop hop, UUID serviceId, long sequence, RelayException e) {
        ctx.failure(hop, serviceId, sequence, e);
        return CompletableFuture.failedFuture(e);
    }
}

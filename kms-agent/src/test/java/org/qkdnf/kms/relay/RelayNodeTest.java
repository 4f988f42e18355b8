package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;

class RelayNodeTest {

    private static final int BLOCKS = 4;
    private static final int BLOCK_BYTES = 16 * 1024;

    @TempDir
    Path dir;
    private RelayTestNet net;
    private final SecureRandom random = new SecureRandom();

    @AfterEach
    void close() {
        if (net != null) {
            net.close();
        }
    }

    private byte[] key(int bytes) {
        byte[] k = new byte[bytes];
        random.nextBytes(k);
        return k;
    }

    @Test
    void relaysManyKeysBothWaysOverFourNodes() throws Exception {
        net = new RelayTestNet(dir, 4, BLOCKS, BLOCK_BYTES, (i, b) -> {
            if (i == 2) {
                b.reservationMaxBytes(0);
            }
        });
        List<String> forward = net.route();
        List<String> backward = new ArrayList<>(forward);
        Collections.reverse(backward);
        int services = 4;
        int perService = 25;
        ExecutorService pool = Executors.newFixedThreadPool(4);
        Map<String, byte[]> sent = new java.util.concurrent.ConcurrentHashMap<>();
        long[] keyBits = new long[2];
        List<Future<List<CompletableFuture<RelayReceipt>>>> work = new ArrayList<>();
        for (int s = 0; s < services; s++) {
            boolean reverse = s % 2 == 1;
            UUID service = UUID.randomUUID();
            RelayNode origin = net.nodes.get(reverse ? 3 : 0);
            String last = reverse ? net.ids.get(0) : net.ids.get(3);
            List<String> route = reverse ? backward : forward;
            int sizeBytes = 32 * (s + 1);  // 256, 512, 768, 1024 bits
            synchronized (keyBits) {
                keyBits[reverse ? 1 : 0] += (long) perService * sizeBytes * 8;
            }
            work.add(pool.submit(() -> {
                List<CompletableFuture<RelayReceipt>> fs = new ArrayList<>();
                for (int k = 0; k < perService; k++) {
                    byte[] key = key(sizeBytes);
                    sent.put(last + "/" + service + "/" + (k + 1), key.clone());
                    fs.add(origin.relay(service, route, key));
                }
                return fs;
            }));
        }
        for (Future<List<CompletableFuture<RelayReceipt>>> w : work) {
            for (CompletableFuture<RelayReceipt> f : w.get(30, TimeUnit.SECONDS)) {
                RelayReceipt r = f.get(30, TimeUnit.SECONDS);
                assertThat(r.hops()).isEqualTo(3);
            }
        }
        pool.shutdown();

        assertThat(net.delivered.keySet()).isEqualTo(sent.keySet());
        sent.forEach((id, key) -> assertThat(net.delivered.get(id)).as(id).isEqualTo(key));
        assertThat(net.alarms).isEmpty();
        net.assertLanesInStep();

        int messagesEachWay = services / 2 * perService;
        for (int i = 0; i + 1 < 4; i++) {
            String link = RelayTestNet.link(i);
            LinkRelayCounters left = net.nodes.get(i).counters().get(link);
            LinkRelayCounters right = net.nodes.get(i + 1).counters().get(link);
            // forward traffic is sent by the left end of each link, backward by the right end
            assertThat(left.messagesSent()).isEqualTo(messagesEachWay);
            assertThat(left.bitsSent()).isEqualTo(keyBits[0]);
            assertThat(left.authBitsSent()).isEqualTo(messagesEachWay * HopCipher.MAC_KEY_BITS);
            assertThat(right.messagesReceived()).isEqualTo(messagesEachWay);
            assertThat(right.bitsReceived()).isEqualTo(keyBits[0]);
            assertThat(right.authBitsReceived()).isEqualTo(messagesEachWay * HopCipher.MAC_KEY_BITS);
            assertThat(right.bitsSent()).isEqualTo(keyBits[1]);
            assertThat(left.bitsReceived()).isEqualTo(keyBits[1]);
            assertThat(left.failures() + right.failures()).isZero();
            // the owner's lane paid for the pads and MAC keys of its messages (plus, with reservations,
            // the unused rest of the last one), the same at both ends (assertLanesInStep)
            PoolLevels leftLane = net.stores.get(i + 1).levels(LaneIds.of(link, net.ids.get(i)));
            long used = keyBits[0] + messagesEachWay * HopCipher.MAC_KEY_BITS;
            if (i == 2) {  // kme-c sends with reservationMaxBytes 0: exactly what each message needs
                assertThat(leftLane.consumedBits()).isEqualTo(used);
            } else {
                assertThat(leftLane.consumedBits()).isGreaterThanOrEqualTo(used);
            }
            assertThat(leftLane.discardedBits()).isZero();
        }
    }

    private RelayTestNet threeNodesTamperingAtB(Tamper tamper) throws Exception {
        return new RelayTestNet(dir, 3, BLOCKS, BLOCK_BYTES, (i, b) -> {
            if (i == 1) {
                b.clientInterceptor(tamper);
            }
        });
    }

    @Test
    void flippedCiphertextBitIsDetectedAtTheHopAndLaterKeysStillPass() throws Exception {
        Tamper tamper = new Tamper();
        net = threeNodesTamperingAtB(tamper);
        UUID service = UUID.randomUUID();
        RelayNode a = net.nodes.get(0);
        a.relay(service, net.route(), key(32)).get(20, TimeUnit.SECONDS);

        tamper.mutation.set(m -> {
            byte[] ct = m.getCiphertext().toByteArray();
            ct[5] ^= 0x10;
            return m.toBuilder().setCiphertext(com.google.protobuf.ByteString.copyFrom(ct)).build();
        });
        Throwable t = RelayTestNet.failureOf(a.relay(service, net.route(), key(32)));

        assertThat(t).isInstanceOf(RelayException.class);
        RelayException e = (RelayException) t;
        assertThat(e.code()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(e.hopIndex()).isEqualTo(2);
        assertThat(e.getMessage()).startsWith("hop 2 (node kme-b -> node kme-c, link L12): tag:");
        assertThat(net.alarms).singleElement().satisfies(alarm -> {
            assertThat(alarm.reportedBy()).isEqualTo("kme-c");
            assertThat(alarm.hop()).isEqualTo(new Hop(2, "kme-b", "kme-c", "L12"));
            assertThat(alarm.code()).isEqualTo(Status.Code.DATA_LOSS);
            assertThat(alarm.serviceId()).isEqualTo(service);
            assertThat(alarm.sequence()).isEqualTo(2);
        });
        assertThat(net.nodes.get(2).counters().get("L12").failures()).isEqualTo(1);
        assertThat(net.delivered).hasSize(1);

        for (int k = 0; k < 5; k++) {
            byte[] key = key(32);
            RelayReceipt r = a.relay(service, net.route(), key).get(20, TimeUnit.SECONDS);
            assertThat(net.delivered.get("kme-c/" + service + "/" + r.sequence())).isEqualTo(key);
        }
        net.assertLanesInStep();
    }

    @Test
    void truncatedCiphertextIsDetected() throws Exception {
        Tamper tamper = new Tamper();
        net = threeNodesTamperingAtB(tamper);
        tamper.mutation.set(m -> m.toBuilder().setCiphertext(m.getCiphertext().substring(0, 16)).build());
        Throwable t = RelayTestNet.failureOf(net.nodes.get(0).relay(UUID.randomUUID(), net.route(), key(32)));

        assertThat(((RelayException) t).code()).isEqualTo(Status.Code.DATA_LOSS);
        assertThat(t.getMessage()).startsWith("hop 2 (node kme-b -> node kme-c, link L12)");
        assertThat(net.alarms).hasSize(1);
        net.assertLanesInStep();  // the key of the bad message is spent at both ends, not used
        assertThat(net.delivered).isEmpty();
    }

    @Test
    void tamperedRangeOrSequenceIsDetected() throws Exception {
        Tamper tamper = new Tamper();
        net = threeNodesTamperingAtB(tamper);
        UUID service = UUID.randomUUID();
        AtomicReference<org.qkdnf.proto.keyrelay.v1.PoolRange> firstPad = new AtomicReference<>();
        tamper.mutation.set(m -> {
            firstPad.set(m.getPadRange());
            return m.toBuilder().setSequence(m.getSequence() + 100).build();
        });
        assertThat(((RelayException) RelayTestNet.failureOf(net.nodes.get(0).relay(service, net.route(), key(32)))).code())
                .isEqualTo(Status.Code.DATA_LOSS);
        assertThat(net.nodes.get(0).relay(service, net.route(), key(32)).get(20, TimeUnit.SECONDS).sequence())
                .isEqualTo(2);

        // A pad slice moved 8 bits ahead: the receiver takes the bits it names (skipping 8), the tag
        // fails, and the sender starts its next message on a fresh reservation, which passes.
        tamper.mutation.set(m -> m.toBuilder().setPadRange(m.getPadRange().toBuilder()
                .setSliceOffsetBits(m.getPadRange().getSliceOffsetBits() + 8)).build());
        assertThat(((RelayException) RelayTestNet.failureOf(net.nodes.get(0).relay(service, net.route(), key(32)))).code())
                .isEqualTo(Status.Code.DATA_LOSS);
        assertThat(net.nodes.get(0).relay(service, net.route(), key(32)).get(20, TimeUnit.SECONDS).sequence())
                .isEqualTo(4);
        // A pad slice of the first message's reservation, which the receiver consumed already: refused as a replay.
        tamper.mutation.set(m -> m.toBuilder().setPadRange(firstPad.get().toBuilder()
                .setSliceOffsetBits(m.getPadRange().getSliceOffsetBits())
                .setSliceLengthBits(m.getPadRange().getSliceLengthBits())).build());
        RelayException replay = (RelayException) RelayTestNet.failureOf(net.nodes.get(0).relay(service, net.route(), key(32)));
        assertThat(replay.code()).isEqualTo(Status.Code.FAILED_PRECONDITION);
        assertThat(replay.getMessage()).startsWith("hop 2 (node kme-b -> node kme-c, link L12): pad_range:")
                .contains("replayed");
        assertThat(net.nodes.get(0).relay(service, net.route(), key(32)).get(20, TimeUnit.SECONDS).sequence())
                .isEqualTo(6);
        assertThat(net.alarms).hasSize(3).allSatisfy(al -> assertThat(al.hop().index()).isEqualTo(2));
        net.assertLanesInStep();
    }

    @Test
    void replayedMessageIsRefusedAndLaterKeysStillPass() throws Exception {
        AtomicReference<RelayHopRequest> captured = new AtomicReference<>();
        Tamper spy = new Tamper();
        net = new RelayTestNet(dir, 3, BLOCKS, BLOCK_BYTES, (i, b) -> {
            if (i == 0) {
                b.clientInterceptor(spy);
            }
        });
        UUID service = UUID.randomUUID();
        spy.mutation.set(m -> {
            captured.set(m);
            return m;
        });
        net.nodes.get(0).relay(service, net.route(), key(32)).get(20, TimeUnit.SECONDS);
        net.nodes.get(0).relay(service, net.route(), key(32)).get(20, TimeUnit.SECONDS);

        // The same bytes again, from kme-a's own certificate, straight to kme-b.
        RelayHopResponse response = RawClient.sendOne(net.tls.get("kme-a"), net.nodes.get(1).port(),
                captured.get().toBuilder().setMessageId(99).build());

        assertThat(response.getMessageId()).isEqualTo(99);
        assertThat(response.getResultHopIndex()).isEqualTo(1);
        assertThat(response.getResult().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION.value());
        assertThat(response.getResult().getMessage())
                .startsWith("hop 1 (node kme-a -> node kme-b, link L01): mac_key_range:").contains("replayed");
        assertThat(net.alarms).singleElement().satisfies(al -> {
            assertThat(al.reportedBy()).isEqualTo("kme-b");
            assertThat(al.hop()).isEqualTo(new Hop(1, "kme-a", "kme-b", "L01"));
        });
        assertThat(net.delivered).hasSize(2);
        byte[] key = key(32);
        RelayReceipt r = net.nodes.get(0).relay(service, net.route(), key).get(20, TimeUnit.SECONDS);
        assertThat(net.delivered.get("kme-c/" + service + "/" + r.sequence())).isEqualTo(key);
        net.assertLanesInStep();
    }

    @Test
    void callerWhoseCertificateNamesAnotherNodeIsDenied() throws Exception {
        net = new RelayTestNet(dir, 3, BLOCKS, BLOCK_BYTES, null, i -> i == 0 ? "kme-x" : null);

        Throwable t = RelayTestNet.failureOf(net.nodes.get(0).relay(UUID.randomUUID(), net.route(), key(32)));

        RelayException e = (RelayException) t;
        assertThat(e.code()).isEqualTo(Status.Code.PERMISSION_DENIED);
        assertThat(e.getMessage()).isEqualTo("hop 1 (node kme-a -> node kme-b, link L01): caller: its certificate "
                + "names node kme-x, but the route has node kme-a send this hop");
        assertThat(net.alarms).singleElement().satisfies(al -> assertThat(al.code()).isEqualTo(Status.Code.PERMISSION_DENIED));
        // nothing was consumed at the receiver for a caller it does not trust
        assertThat(net.stores.get(1).levels(LaneIds.of("L01", "kme-a")).consumedBits()).isZero();
        assertThat(net.delivered).isEmpty();
    }

    @Test
    void senderRefusesAServerThatIsNotTheNeighbour() throws Exception {
        net = new RelayTestNet(dir, 3, BLOCKS, BLOCK_BYTES, null);
        // kme-a believes kme-b listens where kme-c does
        net.nodes.get(0).addNeighbor(new RelayNeighbor("kme-b", "L01", "127.0.0.1", net.nodes.get(2).port()));

        Throwable t = RelayTestNet.failureOf(net.nodes.get(0).relay(UUID.randomUUID(), net.route(), key(32)));

        assertThat(((RelayException) t).hopIndex()).isEqualTo(1);
        assertThat(t.getMessage()).startsWith("hop 1 (node kme-a -> node kme-b, link L01): stream to node kme-b ended")
                .contains("expected the kms of node kme-b");
        assertThat(net.delivered).isEmpty();
    }

    @Test
    void malformedMessageGetsInvalidArgumentNamingTheField() throws Exception {
        net = new RelayTestNet(dir, 2, BLOCKS, BLOCK_BYTES, null);
        RelayHopRequest bad = RelayHopRequest.newBuilder().setServiceId("not-a-uuid").setSequence(1)
                .addRouteQkdnIds("kme-a").addRouteQkdnIds("kme-b").setHopIndex(1).build();
        RelayHopResponse response = RawClient.sendOne(net.tls.get("kme-a"), net.nodes.get(1).port(), bad);
        assertThat(response.getResult().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(response.getResult().getMessage()).isEqualTo("hop 1 (node kme-a -> node kme-b, link ?): service_id: not a UUID");

        RelayHopRequest noRange = bad.toBuilder().setServiceId(UUID.randomUUID().toString()).build();
        response = RawClient.sendOne(net.tls.get("kme-a"), net.nodes.get(1).port(), noRange);
        assertThat(response.getResult().getMessage()).endsWith("pad_range: missing");
    }

    /** Two nodes whose trimmer is off (trimLanes is called by the test); kme-b's lane of L01 is full. */
    private RelayTestNet twoNodesWithAFullLaneAtB(Tamper tamperAtB) throws Exception {
        return twoNodesWithAFullLaneAtB(tamperAtB, 8 * 1024 * 1024);
    }

    private RelayTestNet twoNodesWithAFullLaneAtB(Tamper tamperAtB, int reservationMaxBytesAtB) throws Exception {
        RelayTestNet n = new RelayTestNet(dir, 2, BLOCKS, BLOCK_BYTES, (i, b) -> {
            b.laneTrim(java.time.Duration.ZERO, 0.9, 0.75);
            if (i == 1) {
                b.clientInterceptor(tamperAtB).reservationMaxBytes(reservationMaxBytesAtB);
            }
        });
        String lane = LaneIds.of("L01", "kme-b");
        for (org.qkdnf.kms.api.KeyPoolStore store : n.stores) {
            store.definePool(lane, (long) BLOCKS * BLOCK_BYTES * 8);
        }
        return n;
    }

    @Test
    void aFullLaneIsTrimmedByItsOwnerAtBothEndsAndBothWaysKeepRelaying() throws Exception {
        net = twoNodesWithAFullLaneAtB(new Tamper());
        List<String> ab = net.route();
        List<String> ba = List.of("kme-b", "kme-a");
        UUID service = UUID.randomUUID();
        UUID back = UUID.randomUUID();
        String lane = LaneIds.of("L01", "kme-b");
        long max = (long) BLOCKS * BLOCK_BYTES * 8;

        net.nodes.get(1).trimLanes();

        PoolLevels owner = net.stores.get(1).levels(lane);
        PoolLevels copy = net.stores.get(0).levels(lane);
        assertThat(owner.availableBits()).isLessThanOrEqualTo(max * 3 / 4).isEqualTo(copy.availableBits());
        long trimmed = net.nodes.get(1).counters().get("L01").trimmedBits();
        assertThat(trimmed).isPositive();
        assertThat(owner.discardedBits()).isEqualTo(trimmed);
        assertThat(copy.discardedBits()).isEqualTo(trimmed);
        net.assertLanesInStep();
        net.nodes.get(1).trimLanes();  // at the low-water mark now: nothing more goes
        assertThat(net.nodes.get(1).counters().get("L01").trimmedBits()).isEqualTo(trimmed);

        for (int k = 0; k < 5; k++) {
            byte[] forward = key(64);
            byte[] backward = key(64);
            RelayReceipt f = net.nodes.get(0).relay(service, ab, forward.clone()).get(20, TimeUnit.SECONDS);
            RelayReceipt r = net.nodes.get(1).relay(back, ba, backward.clone()).get(20, TimeUnit.SECONDS);
            assertThat(net.delivered.get("kme-b/" + service + "/" + f.sequence())).isEqualTo(forward);
            assertThat(net.delivered.get("kme-a/" + back + "/" + r.sequence())).isEqualTo(backward);
        }
        assertThat(net.alarms).isEmpty();
        net.assertLanesInStep();
        // the trim's own MAC key is authentication key spent at both ends
        assertThat(net.nodes.get(1).counters().get("L01").authBitsSent())
                .isEqualTo(6 * HopCipher.MAC_KEY_BITS);
        assertThat(net.nodes.get(0).counters().get("L01").authBitsReceived())
                .isEqualTo(6 * HopCipher.MAC_KEY_BITS);
    }

    @Test
    void keyTheOwnerReservedAheadIsDroppedWithTheTrimAtBothEnds() throws Exception {
        // 1 KiB reservations: after about five messages kme-b reserves the next one ahead
        net = twoNodesWithAFullLaneAtB(new Tamper(), 1024);
        String lane = LaneIds.of("L01", "kme-b");
        UUID back = UUID.randomUUID();
        List<String> ba = List.of("kme-b", "kme-a");
        long ahead = 0;
        for (int k = 0; k < 100 && ahead == 0; k++) {
            net.nodes.get(1).relay(back, ba, key(64)).get(20, TimeUnit.SECONDS);
            // the reservation ahead is reserved in the background (a device sync): once one is in
            // flight, give it time to land before the next message would take it as current
            long until = System.nanoTime() + (k >= 5 ? TimeUnit.SECONDS.toNanos(1) : 0);
            ahead = net.nodes.get(1).counters().get("L01").reservedAheadBits();
            while (ahead == 0 && System.nanoTime() < until) {
                Thread.sleep(5);
                ahead = net.nodes.get(1).counters().get("L01").reservedAheadBits();
            }
        }
        assertThat(ahead).as("a reservation ahead").isPositive();
        long discardedBefore = net.stores.get(0).levels(lane).discardedBits();

        net.nodes.get(1).trimLanes();

        long trimmed = net.nodes.get(1).counters().get("L01").trimmedBits();
        assertThat(trimmed).isPositive();
        assertThat(net.nodes.get(1).counters().get("L01").reservedAheadBits()).isZero();
        assertThat(net.stores.get(0).levels(lane).availableBits())
                .isEqualTo(net.stores.get(1).levels(lane).availableBits());
        // kme-a consumed kme-b's current reservation whole when a message first named it; the trim makes
        // it drop the reservation kme-b held ahead (never named) and the trimmed key
        assertThat(net.stores.get(0).levels(lane).discardedBits() - discardedBefore).isEqualTo(trimmed + ahead);
        assertThat(net.alarms).isEmpty();
        net.assertLanesInStep();
        byte[] key = key(64);
        RelayReceipt r = net.nodes.get(1).relay(back, ba, key.clone()).get(20, TimeUnit.SECONDS);
        assertThat(net.delivered.get("kme-a/" + back + "/" + r.sequence())).isEqualTo(key);
    }

    @Test
    void aTamperedTrimIsDetectedAtTheHopAndItsKeySpentAtBothEnds() throws Exception {
        Tamper tamper = new Tamper();
        net = twoNodesWithAFullLaneAtB(tamper);
        tamper.mutation.set(m -> m.toBuilder().setLaneTrim(m.getLaneTrim().toBuilder()
                .setDiscardedBits(m.getLaneTrim().getDiscardedBits() - 8)).build());

        net.nodes.get(1).trimLanes();

        assertThat(net.alarms).singleElement().satisfies(alarm -> {
            assertThat(alarm.reportedBy()).isEqualTo("kme-a");
            assertThat(alarm.hop()).isEqualTo(new Hop(1, "kme-b", "kme-a", "L01"));
            assertThat(alarm.code()).isEqualTo(Status.Code.DATA_LOSS);
            assertThat(alarm.description()).contains("lane_trim.tag");
            assertThat(alarm.serviceId()).isNull();
        });
        net.assertLanesInStep();
        UUID back = UUID.randomUUID();
        byte[] key = key(64);
        RelayReceipt r = net.nodes.get(1).relay(back, List.of("kme-b", "kme-a"), key.clone()).get(20, TimeUnit.SECONDS);
        assertThat(net.delivered.get("kme-a/" + back + "/" + r.sequence())).isEqualTo(key);
    }

    @Test
    void aTrimOfAnotherNodesLaneOrWithAHopsFieldsIsRefused() throws Exception {
        AtomicReference<RelayHopRequest> captured = new AtomicReference<>();
        Tamper spy = new Tamper();
        net = twoNodesWithAFullLaneAtB(spy);
        spy.mutation.set(m -> {
            captured.set(m);
            return m;
        });
        net.nodes.get(1).trimLanes();
        assertThat(captured.get().hasLaneTrim()).isTrue();

        // kme-a sends kme-b's trim to kme-b: kme-a owns no such lane
        RelayHopResponse response = RawClient.sendOne(net.tls.get("kme-a"), net.nodes.get(1).port(),
                captured.get().toBuilder().setMessageId(7).build());
        assertThat(response.getResult().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(response.getResult().getMessage()).contains("lane_trim.mac_key_range.pool_id: must be the sending "
                + "node's lane L01/kme-a");
        // with a hop's fields too: malformed
        response = RawClient.sendOne(net.tls.get("kme-b"), net.nodes.get(0).port(),
                captured.get().toBuilder().setServiceId(UUID.randomUUID().toString()).setMessageId(8).build());
        assertThat(response.getResult().getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        assertThat(response.getResult().getMessage()).endsWith("lane_trim: must come without the fields of a hop (1 to 8 and 11)");
    }

    @Test
    void smallReservationsReservedAheadKeepBothEndsInStep() throws Exception {
        // 1 KiB reservations: a new one (reserved in the background) every ten messages or so
        net = new RelayTestNet(dir, 3, BLOCKS, BLOCK_BYTES, (i, b) -> b.reservationMaxBytes(1024));
        UUID service = UUID.randomUUID();
        List<CompletableFuture<RelayReceipt>> fs = new ArrayList<>();
        List<byte[]> keys = new ArrayList<>();
        for (int k = 0; k < 80; k++) {
            byte[] key = key(64);
            keys.add(key.clone());
            fs.add(net.nodes.get(0).relay(service, net.route(), key));
        }
        for (CompletableFuture<RelayReceipt> f : fs) {
            f.get(30, TimeUnit.SECONDS);
        }
        for (int k = 0; k < keys.size(); k++) {
            assertThat(net.delivered.get("kme-c/" + service + "/" + (k + 1))).isEqualTo(keys.get(k));
        }
        net.assertLanesInStep();
        for (int i = 0; i < 2; i++) {
            PoolLevels lane = net.stores.get(i + 1).levels(LaneIds.of(RelayTestNet.link(i), net.ids.get(i)));
            long used = 80 * (64 * 8 + HopCipher.MAC_KEY_BITS);
            // at most one reservation's unused rest per reservation, plus the one reserved ahead
            assertThat(lane.consumedBits()).isBetween(used, used + 12 * 1024 * 8L);
            assertThat(lane.discardedBits()).isZero();
        }
        assertThat(net.alarms).isEmpty();
    }
}

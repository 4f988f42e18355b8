package org.qkdnf.kms.relay;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

import com.google.protobuf.ByteString;
import io.grpc.Status;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.qkdnf.common.ids.LaneIds;
import org.qkdnf.kms.api.PoolLevels;
import org.qkdnf.proto.keyrelay.v1.RelayHopRequest;
import org.qkdnf.proto.keyrelay.v1.RelayHopResponse;

/**
 * {@link RelayNode#relayLaneKey}: the first hop of a key taken from the source's own lane names
 * the key's range ({@code key_range}) instead of padding it, over real gRPC with mTLS between key
 * managers with their own durable stores.
 */
class LaneKeyRelayTest {

    private static final int BLOCKS = 4;
    private static final int BLOCK_BYTES = 16 * 1024;
    private static final int CHUNK = 4096;
    private static final long CHUNK_BITS = CHUNK * 8L;

    @TempDir
    Path dir;
    private RelayTestNet net;

    @AfterEach
    void close() {
        if (net != null) {
            net.close();
        }
    }

    private LaneKeyReceipt relay(UUID service) throws Exception {
        return net.nodes.get(0).relayLaneKey(service, 0, net.route(), CHUNK).get(20, TimeUnit.SECONDS);
    }

    private byte[] deliveredAtLast(UUID service, LaneKeyReceipt r) {
        return net.delivered.get(net.ids.get(net.ids.size() - 1) + "/" + service + "/" + r.receipt().sequence());
    }

    private PoolLevels levels(int node, int link, int owner) {
        return net.stores.get(node).levels(LaneIds.of(RelayTestNet.link(link), net.ids.get(owner)));
    }

    private RelayTestNet chainSpiedAtA(int nodes, Tamper tamper) throws Exception {
        return new RelayTestNet(dir, nodes, BLOCKS, BLOCK_BYTES, (i, b) -> {
            if (i == 0) {
                b.clientInterceptor(tamper);
            }
        });
    }

    @ParameterizedTest(name = "{0} hop(s)")
    @ValueSource(ints = {1, 2, 5})
    void sourceAndSinkHoldTheSameKeyAndTheFirstLaneSpendsOnlyTheKeyAndItsMacKey(int hops) throws Exception {
        // reservations of exactly what each message needs, so the levels say what each one spent
        net = new RelayTestNet(dir, hops + 1, BLOCKS, BLOCK_BYTES, (i, b) -> b.reservationMaxBytes(0));
        UUID service = UUID.randomUUID();
        int keys = 3;
        List<byte[]> seen = new ArrayList<>();
        for (int k = 0; k < keys; k++) {
            LaneKeyReceipt r = relay(service);
            assertThat(r.receipt().hops()).isEqualTo(hops);
            assertThat(r.receipt().keyBits()).isEqualTo(CHUNK_BITS);
            assertThat(r.key()).hasSize(CHUNK).isEqualTo(deliveredAtLast(service, r));
            for (byte[] earlier : seen) {
                assertThat(r.key()).as("fresh key each time").isNotEqualTo(earlier);
            }
            seen.add(r.key().clone());
        }
        assertThat(net.alarms).isEmpty();
        net.assertLanesInStep();

        long perMessage = CHUNK_BITS + HopCipher.MAC_KEY_BITS;
        for (int node : new int[] {0, 1}) {
            PoolLevels first = levels(node, 0, 0);
            assertThat(first.consumedBits()).as("first lane at node %d", node).isEqualTo(keys * perMessage);
            assertThat(first.discardedBits()).isZero();
        }
        for (int link = 1; link < hops; link++) {  // the later hops pad the key: also key + MAC key each
            assertThat(levels(link + 1, link, link).consumedBits()).isEqualTo(keys * perMessage);
        }
        LinkRelayCounters sent = net.nodes.get(0).counters().get("L01");
        LinkRelayCounters received = net.nodes.get(1).counters().get("L01");
        assertThat(sent.messagesSent()).isEqualTo(keys);
        assertThat(sent.bitsSent()).isEqualTo(keys * CHUNK_BITS);
        assertThat(sent.authBitsSent()).isEqualTo(keys * HopCipher.MAC_KEY_BITS);
        assertThat(received.messagesReceived()).isEqualTo(keys);
        assertThat(received.bitsReceived()).isEqualTo(keys * CHUNK_BITS);
        assertThat(received.authBitsReceived()).isEqualTo(keys * HopCipher.MAC_KEY_BITS);
    }

    @Test
    void aTamperedFirstHopIsDetectedTheKeyDiscardedAtBothEndsAndLaterKeysStillPass() throws Exception {
        Tamper tamper = new Tamper();
        net = chainSpiedAtA(3, tamper);
        UUID service = UUID.randomUUID();
        relay(service);

        List<java.util.function.UnaryOperator<RelayHopRequest>> attacks = List.of(
                // the key's slice moved 8 bits on: the receiver takes what it names, the tag fails
                m -> m.toBuilder().setKeyRange(m.getKeyRange().toBuilder()
                        .setSliceOffsetBits(m.getKeyRange().getSliceOffsetBits() + 8)).build(),
                // a header field
                m -> m.toBuilder().setSequence(m.getSequence() + 1000).build());
        for (java.util.function.UnaryOperator<RelayHopRequest> attack : attacks) {
            tamper.mutation.set(attack);
            RelayException e = (RelayException) RelayTestNet.failureOf(
                    net.nodes.get(0).relayLaneKey(service, 0, net.route(), CHUNK));
            assertThat(e.code()).isEqualTo(Status.Code.DATA_LOSS);
            assertThat(e.hopIndex()).isEqualTo(1);
            assertThat(e.getMessage()).startsWith("hop 1 (node kme-a -> node kme-b, link L01): tag:");
        }
        assertThat(net.alarms).hasSize(2).allSatisfy(alarm -> {
            assertThat(alarm.reportedBy()).isEqualTo("kme-b");
            assertThat(alarm.hop()).isEqualTo(new Hop(1, "kme-a", "kme-b", "L01"));
            assertThat(alarm.code()).isEqualTo(Status.Code.DATA_LOSS);
        });
        // the two keys reached nobody (the source's futures failed, so it holds none either) and
        // their bits are spent at both ends
        assertThat(net.delivered).hasSize(1);
        net.assertLanesInStep();

        LaneKeyReceipt r = relay(service);
        assertThat(r.key()).isEqualTo(deliveredAtLast(service, r));
        assertThat(net.alarms).hasSize(2);
        net.assertLanesInStep();
    }

    /** A three-node chain whose first node's outgoing hop messages land in the returned reference (the last one). */
    private AtomicReference<RelayHopRequest> firstHopsCapturedOnAThreeNodeChain() throws Exception {
        AtomicReference<RelayHopRequest> captured = new AtomicReference<>();
        Tamper spy = new Tamper();
        net = chainSpiedAtA(3, spy);
        spy.mutation.set(m -> {
            captured.set(m);
            return m;
        });
        return captured;
    }

    @Test
    void aReplayedFirstHopIsRefused() throws Exception {
        UUID service = UUID.randomUUID();
        AtomicReference<RelayHopRequest> captured = firstHopsCapturedOnAThreeNodeChain();
        relay(service);
        relay(service);
        assertThat(captured.get().hasKeyRange()).isTrue();
        long consumedAtB = levels(1, 0, 0).consumedBits();

        RelayHopResponse response = RawClient.sendOne(net.tls.get("kme-a"), net.nodes.get(1).port(),
                captured.get().toBuilder().setMessageId(99).build());

        assertThat(response.getResultHopIndex()).isEqualTo(1);
        assertThat(response.getResult().getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION.value());
        assertThat(response.getResult().getMessage())
                .startsWith("hop 1 (node kme-a -> node kme-b, link L01): mac_key_range:").contains("replayed");
        assertThat(net.alarms).singleElement().satisfies(al -> assertThat(al.reportedBy()).isEqualTo("kme-b"));
        assertThat(net.delivered).hasSize(2);
        assertThat(levels(1, 0, 0).consumedBits()).isEqualTo(consumedAtB);
        LaneKeyReceipt r = relay(service);
        assertThat(r.key()).isEqualTo(deliveredAtLast(service, r));
    }

    @Test
    void aMalformedMixOfFieldsIsRefusedNamingTheFieldAndConsumesNothing() throws Exception {
        UUID service = UUID.randomUUID();
        AtomicReference<RelayHopRequest> captured = firstHopsCapturedOnAThreeNodeChain();
        relay(service);
        RelayHopRequest laneKey = captured.get();
        long consumedAtB = levels(1, 0, 0).consumedBits();
        long consumedAtC = levels(2, 1, 1).consumedBits();

        String withPad = refusal("kme-a", 1, laneKey.toBuilder().setPadRange(laneKey.getKeyRange()).build());
        assertThat(withPad).endsWith("pad_range: must not be set with key_range");
        String withCiphertext = refusal("kme-a", 1, laneKey.toBuilder().setCiphertext(ByteString.copyFrom(new byte[CHUNK]))
                .build());
        assertThat(withCiphertext).endsWith("ciphertext: must be empty with key_range (the key is the named range)");
        String padWithoutCiphertext = refusal("kme-a", 1, laneKey.toBuilder().clearKeyRange()
                .setPadRange(laneKey.getKeyRange()).build());
        assertThat(padWithoutCiphertext).endsWith("ciphertext: missing (a message with pad_range carries the key XOR the pad)");
        // hop 2 from kme-b's own certificate: lane key is for the first hop only
        String laterHop = refusal("kme-b", 2, laneKey.toBuilder().setHopIndex(2).build());
        assertThat(laterHop).startsWith("hop 2 (node kme-b -> node kme-c, link L01): key_range: only hop 1 may name "
                + "lane key; hop 2 must carry pad_range and ciphertext");

        assertThat(levels(1, 0, 0).consumedBits()).isEqualTo(consumedAtB);
        assertThat(levels(2, 1, 1).consumedBits()).isEqualTo(consumedAtC);
        assertThat(net.delivered).hasSize(1);
    }

    /** Sends {@code request} as node {@code from} to the next node of the chain; its INVALID_ARGUMENT message. */
    private String refusal(String from, int toIndex, RelayHopRequest request) throws Exception {
        RelayHopResponse response = RawClient.sendOne(net.tls.get(from), net.nodes.get(toIndex).port(),
                request.toBuilder().setMessageId(7).build());
        assertThat(response.getResult().getCode()).as(response.getResult().getMessage())
                .isEqualTo(Status.Code.INVALID_ARGUMENT.value());
        return response.getResult().getMessage();
    }

    @Test
    void afterTheFirstNeighbourRestartsLaneKeyRelayGoesOnWithFreshKeyAndBothCopiesInStep() throws Exception {
        net = new RelayTestNet(dir, 2, BLOCKS, BLOCK_BYTES, null);
        UUID service = UUID.randomUUID();
        byte[] before = relay(service).key().clone();

        net.nodes.get(1).close();
        net.nodes.set(1, net.start(dir, 1, "kme-b", "kme-b", null));
        net.connect(0, 1);
        // the restarted node's sequence guard is empty; the store's watermark is what refuses old key
        LaneKeyReceipt after = net.nodes.get(0).relayLaneKey(service, 0, net.route(), CHUNK).get(20, TimeUnit.SECONDS);

        assertThat(after.key()).isEqualTo(deliveredAtLast(service, after)).isNotEqualTo(before);
        assertThat(net.alarms).isEmpty();
        net.assertLanesInStep();
    }
}

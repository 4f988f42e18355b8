package org.qkdnf.kms.relay;

/**
 * Relay counters of one link at one node, since the node started. Bits are link key bits: the
 * pad of a message is as long as its key, and every message spends
 * {@link HopCipher#MAC_KEY_BITS} more for its one-time MAC on each hop. On the first hop of lane
 * key ({@link RelayNode#relayLaneKey}) the key itself is the sender's lane key, named instead of
 * padded: its bits count where a pad's would ({@code bitsSent}, {@code bitsReceived}), so on
 * every hop key bits plus authentication bits are exactly the lane key the messages spent.
 *
 * @param qkdlId             the link
 * @param messagesSent       messages this node sent over the link (own lane)
 * @param bitsSent           key bits relayed out over the link (pad bits of the messages sent, or
 *                           the key bits of a first hop of lane key)
 * @param authBitsSent       MAC key bits of its own lane spent on messages sent
 * @param messagesReceived   messages received over the link whose tag verified
 * @param bitsReceived       key bits relayed in over the link (pad or lane-key bits of those messages)
 * @param authBitsReceived   MAC key bits of the peer's lane consumed for received messages,
 *                           including messages that then failed verification
 * @param failures           messages on this link that failed: detected by this node as receiver,
 *                           or refused or lost before this node could send them
 * @param reservedAheadBits  a gauge: key of this node's lane reserved in the background for
 *                           messages not sent yet (consumed here, not yet at the other end)
 * @param trimmedBits        key of this node's lane it discarded unused because the lane stayed
 *                           above its high-water mark (nobody drew it), each trim spending
 *                           {@link HopCipher#MAC_KEY_BITS} more, counted in {@code authBitsSent}
 */
public record LinkRelayCounters(String qkdlId, long messagesSent, long bitsSent, long authBitsSent,
                                long messagesReceived, long bitsReceived, long authBitsReceived,
                                long failures, long reservedAheadBits, long trimmedBits) {
}

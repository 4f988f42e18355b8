/**
 * Kk: hop-by-hop key relay between key managers (ITU-T Y.3803 style), gRPC service
 * {@code qkdnf.keyrelay.v1.KeyRelayService} over mutual TLS.
 *
 * <h2>What happens to a key</h2>
 * A key K for service S travels a route of qkdn_ids {@code [A, X, B]}. On every hop the sender
 * takes 256 fresh bits of link key as a one-time Poly1305 key and |K| fresh bits as a one-time
 * pad from its own lane of the hop's link, sends {@code K XOR pad} with the tag over the whole
 * header and ciphertext ({@link org.qkdnf.kms.relay.HopCipher}), and names the exact pool
 * ranges it used. The receiver takes exactly those bits from its copy of the sender's lane,
 * verifies the tag in constant time, recovers K, and either hands it to the
 * {@link org.qkdnf.kms.relay.RelayedKeySink} (last hop) or re-encrypts it with its own lane of
 * the next link and forwards it. The origin's future completes once the last node accepted the
 * key, or fails with a {@link org.qkdnf.kms.relay.RelayException} naming the hop.
 *
 * <p>A key service's source relays fresh key of its own lane of the first link instead
 * ({@link org.qkdnf.kms.relay.RelayNode#relayLaneKey}, as in ITU-T Y.3803): the first neighbour
 * holds the same bits, so the first hop carries no pad and no ciphertext. The sender takes 256 bits
 * of MAC key and then |K| bits, the key itself, as the next slices of its lane, keeps K for the
 * caller, and sends only the header with the key's range ({@code key_range}) and the tag
 * ({@code HopCipher.laneKeyTag}, a domain of its own). The first neighbour takes the same slices
 * from its copy of the lane, in stream order as it takes pads, verifies the tag, and then treats K
 * as a decrypted key: hands it to the sink (one-hop route) or pads it with its own lane of the
 * next link and forwards it (taking K off its lane slice and putting the next pad on in one pass).
 * So the first link spends |K| + 256 bits per message, not 2|K| + 256, and the first hop costs no
 * XOR, no ciphertext over TLS and no decryption. Only hop 1 may carry {@code key_range}; a message
 * carries either it or {@code pad_range} with {@code ciphertext} (INVALID_ARGUMENT naming the field
 * otherwise). {@link org.qkdnf.kms.relay.RelayNode#relay} remains for a key that is not the first
 * lane's own (its first hop pads it).
 *
 * <h2>Lanes</h2>
 * Each link has two pools at each end, one per owner node, pool id {@code "<qkdl_id>/<owner>"}
 * ({@link org.qkdnf.common.ids.LaneIds}). Only the owner reserves from its lane; the peer consumes
 * the ranges the owner names. So the two ends never reserve the same bits and need no
 * coordination. A hop's key always comes from the sender's lane.
 *
 * <h2>Order, reservations and slices</h2>
 * One bidirectional stream per (sender, receiver) pair carries the messages in the order their
 * key was taken ({@link org.qkdnf.kms.relay.HopSender} takes key and writes to the stream under
 * one lock; gRPC hands a stream's messages to the receiver one at a time, in order). A sender
 * reserves key in reservations of up to {@code reservationMaxBytes} (default 8 MiB, at most half
 * the lane; the next one is reserved in the background once half the current one is used) and
 * each message uses the next slices of the current one: MAC key, then pad. The
 * receiver consumes a reservation once, when a message first names it, and keeps its position in
 * it ({@link org.qkdnf.kms.relay.LaneCursor}). So one durable store update (a device sync) at
 * each end covers many messages instead of two per message. The unused rest of a reservation is
 * only in memory and is lost, never reused, when a node stops; after any failure on a hop the
 * sender starts afresh on a new reservation. {@code reservationMaxBytes(0)} reserves exactly
 * what each message needs.
 *
 * <h2>Failures</h2>
 * Every failure is answered in the message's response (the stream stays up for the other
 * messages), counted on the link, logged without key material and raised as a
 * {@link org.qkdnf.kms.relay.RelayAlarm} through the {@link org.qkdnf.kms.relay.RelayAlarmListener}.
 * Messages name the hop, {@code "hop 2 (node X -> node Y, link L): field: ..."}.
 * <table>
 *   <caption>Status codes</caption>
 *   <tr><th>case</th><th>code</th><th>key of the message</th></tr>
 *   <tr><td>tag does not verify: ciphertext, header or ranges altered, ciphertext or tag truncated</td>
 *       <td>DATA_LOSS</td><td>spent at both ends, not used</td></tr>
 *   <tr><td>range behind the watermark, or slice behind the used part of a reservation (replay);
 *       sequence not above the last accepted for the service</td>
 *       <td>FAILED_PRECONDITION</td><td>nothing taken again</td></tr>
 *   <tr><td>caller's certificate (role kms, CN) is not the node the route names before this one, or
 *       the link does not join the two</td><td>PERMISSION_DENIED</td><td>nothing consumed</td></tr>
 *   <tr><td>malformed message (field named)</td><td>INVALID_ARGUMENT</td><td>nothing consumed</td></tr>
 *   <tr><td>sender's lane short of key</td><td>RESOURCE_EXHAUSTED</td><td>-</td></tr>
 *   <tr><td>receiver has not received the blocks yet (after {@code keyArrivalWait}), stream broken</td>
 *       <td>UNAVAILABLE</td><td>erased at both ends</td></tr>
 *   <tr><td>no result within {@code messageTimeout}</td><td>DEADLINE_EXCEEDED</td><td>-</td></tr>
 * </table>
 * The sender also checks the server it reached presents the kms certificate of the neighbour it
 * meant ({@code ServerIdentityCheck}).
 *
 * <h2>Counters</h2>
 * {@link org.qkdnf.kms.relay.RelayNode#counters()} per link: messages and key bits sent and
 * received, authentication key bits spent (256 per message per hop, at each end), failures. A
 * first-hop key bit of lane key counts as a key bit sent and received on the first link, as a pad
 * bit would: the lane key spent on the message's payload.
 *
 * <h2>Throughput (measured by hand, not in tests)</h2>
 * Command, from the repository root (the reactor's own module classes, nothing installed):
 * <pre>
 * ./mvnw -B -q -o -pl kms-agent -am test-compile dependency:build-classpath -Dmdep.outputFile=target/cp.txt
 * cd kms-agent
 * java -Xms2g -Xmx4g -cp "target/test-classes:target/classes:$(cat target/cp.txt)" \
 *     org.qkdnf.kms.relay.RelayThroughputMain 1 1048576 400            # 1 hop, 1 MiB keys
 * java ... org.qkdnf.kms.relay.RelayThroughputMain 5 262144 100 4194304   # 5 hops
 * java ... org.qkdnf.kms.relay.RelayThroughputMain 5 1048576 200           # 5 hops, 1 MiB keys
 * java -Drelay.laneKey=true ... RelayThroughputMain 5 1048576 200          # the same, first hop of lane key
 * </pre>
 * {@code -Drelay.jfr=FILE} records a JFR profile of the measured phase only. At the end the main
 * prints the measured phase's CPU by thread group from {@code /proc} (JIT compiler, Netty event
 * loops with TLS, gRPC executor, the relay's {@code kk-reserve} threads, GC), which JFR's Java
 * samples do not show. {@code -Drelay.warmup=N} and {@code -Drelay.warmup.small=N} (4 KiB
 * messages) warm up longer: with the default tenth of the messages, the JIT compiler threads take
 * a quarter to a third of the measured CPU.
 * Each node has its own MVStore pool store (AES-256-GCM at rest, synced watermark) in a temp
 * directory and its own gRPC server with mTLS on 127.0.0.1, all in one JVM. First figures, of
 * 2026-11-25 on the shared 2-core VM (AMD EPYC) while other builds ran, load average 13 to 17:
 * <ul>
 *   <li>XOR + Poly1305 alone, one thread, 1 MiB messages: 1.5 to 4.7 Gbit/s (by load).</li>
 *   <li>One durable store {@code reserve}: 40 to 160 ms (a device sync on this disk).</li>
 *   <li>One hop, 1 MiB messages, JDK 17: 57 to 178 Mbit/s with the default 8 MiB reservations,
 *       94 Mbit/s with 32 MiB; 15.5 Mbit/s (256 KiB messages) before reservations, when every
 *       message cost two syncs at each end. The relay kept only 0.3 to 0.4 cores busy (the machine
 *       had 13 to 18 runnable processes): 230 to 240 Mbit of key per CPU-second, all ends, TLS and
 *       stores together. JDK 25: 61 Mbit/s, 229 Mbit per CPU-second, same picture. With the
 *       next reservation reserved in the background: 45 Mbit/s, 145 Mbit per CPU-second at load
 *       average 14.5, i.e. within the noise of this machine.</li>
 * </ul>
 * So the goals (1.2 Gbit/s one hop, 500 Mbit/s through five hops) were not reached here. What
 * limited it then: 80 % of the CPU samples were the pool store's at-rest AES-GCM decryption,
 * interpreted: a few multi-MiB GCM calls per second never got the JDK's GCM compiled with its
 * intrinsics. Changed since (bench/RESULTS.md section 6 has the before/after runs):
 * <ul>
 *   <li>the store seals blocks in 16 KiB GCM chunks (record format 2), and a take opens only the
 *       chunks it needs: at-rest crypto fell from ~80 % to ~15 % of the samples;</li>
 *   <li>Poly1305 is our own radix-2^64 implementation ({@code Poly1305}, same tags as
 *       BouncyCastle's), about 2.5 times BouncyCastle's speed;</li>
 *   <li>the receiver consumes with {@code consumeAsync}: a reservation's device sync no longer
 *       stalls the stream; the message's work waits for it in the lane's order
 *       ({@link org.qkdnf.kms.relay.LaneCursor}).</li>
 * </ul>
 * Then, to take passes over each message out of the relay path:
 * <ul>
 *   <li>the sender XORs the pad and computes the tag in 16 KiB pieces ({@code HopCipher.encryptAndTag}),
 *       each MACed while in the cache; the last hop checks and decrypts the same way
 *       ({@code verifyAndDecrypt}, zeroing the data on a bad tag); a relay node swaps the incoming
 *       pad for the outgoing one in place, so the plaintext key is not written out there, and reads
 *       pads in place in the reservation ({@code KeySlice}) instead of copying them; a sender
 *       erases only the unused rest of a reservation it drops (each message already erased its
 *       slices); HTTP/2 window 16 MiB. About 5 % less CPU per key bit outside the JIT threads, one and
 *       five hops (the relay threads 7 to 13 % less), measured while the machine was shared.</li>
 * </ul>
 * Then (issue 3, steady state):
 * <ul>
 *   <li>pads are XORed eight bytes at a time and each 16 KiB piece of pad is erased right after
 *       its XOR, while still cached ({@code OneTimePad.xorIntoErasing}, {@code swapErasing}; a
 *       {@code KeySlice} erased that way is not erased again): 38-42 instead of 18 Gbit/s for
 *       XOR and erase together in a one-thread probe, and no whole-message {@code Arrays.fill}
 *       passes at the sender, the relay nodes or the last hop;</li>
 *   <li>the receiver copies the ciphertext out of the message piece by piece inside the MAC pass
 *       ({@code HopCipher.copyAndVerify}, {@code verifyAndDecrypt}) instead of
 *       {@code toByteArray} first, and the Kk server parses a request with its ciphertext sharing
 *       the array the message was read into ({@code InboundHopMarshaller}) instead of gRPC's copy
 *       out of a per-thread buffer: two whole-message copies fewer per hop;</li>
 *   <li>not changed: Poly1305 (radix 2^64) is bound by its instruction count, not latency (two
 *       interleaved independent chains run at the same 12 Gbit/s in total as one), so interleaving
 *       blocks with r^2 would not help, and 44-bit limbs need 18 multiplications per block instead
 *       of 10; 64 KiB at-rest chunks open 25 % faster than 16 KiB ones but would make the
 *       key services' 4-64 KiB reserves open and re-seal up to four times more.</li>
 * </ul>
 * Same-window pairs on the shared machine (load 8-28), CPU per key bit, all threads / outside
 * the JIT threads: one hop -13 % / -10 %, one hop three times longer -11 % / -18 %, five hops
 * -14 % / -9 % and -18 % / -21 % (two windows); the Mbit/s columns there are the machine's share.
 * What limits the figures now, on this shared machine: CPU share and the disk. During the runs the
 * machine was 96 % busy with other jobs (load 14 to 25 on 2 cores), the relay's JVM got 0.3 to
 * 0.8 of a core, and device syncs took 70 ms on average (up to 0.9 s) instead of 4 to 8 ms.
 * Of the relay's own Java CPU samples, Poly1305 is now the largest part (~25 %, two passes per
 * hop), then XOR (~13 %) and at-rest GCM (~15 %); TLS runs in OpenSSL. G1 also spends time on the
 * per-message 1 MiB arrays (humongous objects at the default region size; see below). A quiet
 * 2-core machine is the place to check the goals.
 *
 * Then (issue 3, five hops): no hop allocates an array as long as the message any more. The Kk
 * server reads a request's ciphertext straight from the stream into 256 KiB chunks that its
 * ByteString shares ({@code InboundHopMarshaller}, {@code ChunkedBytes}); a relay node verifies
 * the tag and swaps the pads in those chunks ({@code ChunkedBytes.sharing}) and forwards them, so
 * a relayed hop no longer copies the ciphertext either; a first hop pads into chunks. Why: G1
 * allocates an array of half a region or more (512 KiB with the harness's 2-4 GiB heap and its
 * 1 MiB regions) as a humongous object in the old generation, and two of them per hop and message
 * started a concurrent marking cycle every few seconds. Measured while the machine was shared
 * (five runs each, five hops, lane key, per 180 MiB): G1 concurrent marking 0.77 to 0.36 CPU-s,
 * but the young-GC threads 0.40 to 0.60 CPU-s (the chunks fill eden, which humongous arrays did
 * not); CPU per key bit within the noise of that machine, about 6 % less outside the JIT.
 * Still humongous: the 8 MiB reservations, the 4 MiB store records and the last hop's key (one
 * array for the sink).
 */
package org.qkdnf.kms.relay;

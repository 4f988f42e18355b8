package org.qkdnf.bench.etsi014;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

import org.qkdnf.bench.cpu.ThreadCpu;
import org.qkdnf.common.atrest.KeyFile;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.kms.service.KeyBatchMessages;
import org.qkdnf.kms.store.ServiceKeyStore;
import org.qkdnf.proto.keyservice.v1.AssignRequest;

/**
 * The CPU the key managers spend per 256-bit key between relayed key and the SAEs, without TLS,
 * HTTP or the relay: one thread carves a batch at the source's store (synced), encodes the
 * {@code Assign} request and decodes it as the destination would, assigns the batch at the
 * destination's store (synced), opens it at the source, and then, in a second phase, the slave
 * side takes every key once ({@code dec_keys}'s store work). Both stores are real (sealed MVStore
 * files with group commit) in {@code dir}. Prints CPU µs per key of the whole JVM for each phase.
 *
 * <pre>
 * java -cp bench/target/qkdnf-bench.jar org.qkdnf.bench.etsi014.KeyAssignmentCostMain DIR BATCHES
 * </pre>
 */
public final class KeyAssignmentCostMain {

    private static final int KEY_BYTES = 32;
    private static final int BATCH = 1024;
    private static final int CHUNK_BYTES = 64 * 1024;
    private static final int TAKES = 2000;

    private KeyAssignmentCostMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Files.createDirectories(Path.of(args[0]));
        int batches = Integer.parseInt(args[1]);
        Path keyFile = dir.resolve("store.key");
        if (!Files.exists(keyFile)) {
            KeyFile.create(keyFile);
        }
        UUID service = UUID.randomUUID();
        KeyServiceDefinition d = new KeyServiceDefinition(service, "sae-a", "sae-b", List.of("n1", "n2"), List.of("l1"),
                1L << 30);
        try (ServiceKeyStore source = ServiceKeyStore.open(dir.resolve("src-" + service + ".mv.db"), keyFile);
             ServiceKeyStore destination = ServiceKeyStore.open(dir.resolve("dst-" + service + ".mv.db"), keyFile)) {
            source.putService(d);
            destination.putService(d);
            SecureRandom random = new SecureRandom();
            long chunks = (2L * batches * BATCH * KEY_BYTES + CHUNK_BYTES - 1) / CHUNK_BYTES + 1;
            for (long seq = 1; seq <= chunks; seq++) {
                byte[] c = new byte[CHUNK_BYTES];
                random.nextBytes(c);
                destination.putChunk(service, seq, c.clone());
                source.putChunk(service, seq, c);
            }
            run(source, destination, service, batches / 2, "warm-up");
            run(source, destination, service, batches - batches / 2, "measured");
        }
    }

    private static void run(ServiceKeyStore source, ServiceKeyStore destination, UUID service, int batches,
                            String label) throws com.google.protobuf.InvalidProtocolBufferException {
        List<UUID> ids = new ArrayList<>(batches * BATCH);
        long cpu0 = ThreadCpu.processCpuNanos();
        long t0 = System.nanoTime();
        for (int b = 0; b < batches; b++) {
            ServiceKeyStore.CarvedBatch carved = source.carveBatch(service, BATCH, KEY_BYTES, "n2");
            AssignRequest wire = KeyBatchMessages.assignRequest(service, carved.assignment());
            ServiceKeyStore.AssignedBatch received =
                    KeyBatchMessages.assignedBatch(AssignRequest.parseFrom(wire.toByteArray()).getBatch());
            destination.assignBatch(service, received);
            source.openBatch(carved.batchId()).join();
            carved.keys().forEach(k -> ids.add(k.keyId()));
        }
        long cpu1 = ThreadCpu.processCpuNanos();
        long t1 = System.nanoTime();
        // Each take is one synced commit: a sample of them is enough for the CPU per take.
        List<UUID> taken = ids.subList(0, Math.min(ids.size(), TAKES));
        for (UUID id : taken) {
            destination.takeAssigned(service, id);
        }
        long cpu2 = ThreadCpu.processCpuNanos();
        long t2 = System.nanoTime();
        double keys = ids.size();
        System.out.printf(Locale.ROOT, "%s: %d keys; carve+assign+open %.2f µs CPU/key (%.0f keys/s wall); "
                        + "take at the destination %.2f µs CPU/key (%.0f keys/s wall)%n", label, ids.size(),
                (cpu1 - cpu0) / 1e3 / keys, keys / ((t1 - t0) / 1e9), (cpu2 - cpu1) / 1e3 / taken.size(),
                taken.size() / ((t2 - t1) / 1e9));
    }

}

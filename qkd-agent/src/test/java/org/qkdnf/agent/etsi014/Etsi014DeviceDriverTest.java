package org.qkdnf.agent.etsi014;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetSocketAddress;
import java.net.http.HttpClient;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.NoSuchElementException;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;

import io.grpc.Grpc;
import io.grpc.ManagedChannel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.agent.driver.KeyBlock;
import org.qkdnf.agent.driver.ModuleReading;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.DevCertificateAuthority.Role;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.devicekeys.v1.DeviceKeyIdServiceGrpc;
import org.qkdnf.proto.devicekeys.v1.KeyIdSubscription;
import org.qkdnf.proto.devicekeys.v1.StreamKeyIdsRequest;
import org.qkdnf.proto.devicekeys.v1.StreamKeyIdsResponse;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdlStatus;

/**
 * Two device drivers, master and slave, over a fake device pair and a real mTLS key_ID stream.
 * Waits are for progress (with a generous cap against hanging), never for a time to pass.
 */
class Etsi014DeviceDriverTest {

    static final String A = "a0000000-0000-4000-8000-00000000000a";
    static final String B = "b0000000-0000-4000-8000-00000000000b";
    static final String C = "c0000000-0000-4000-8000-00000000000c";
    static final String LINK = "ab000000-0000-4000-8000-0000000000ab";
    static final int CAPACITY = 64;

    @TempDir
    Path dir;
    private DevCertificateAuthority ca;
    private FakeDevice deviceA;
    private FakeDevice deviceB;
    private Etsi014DeviceDriver master;
    private Etsi014DeviceDriver slave;

    @BeforeEach
    void start() throws Exception {
        ca = DevCertificateAuthority.create("test-provider");
        java.util.Map<UUID, byte[]> inFlight = Collections.synchronizedMap(new LinkedHashMap<>());
        deviceA = new FakeDevice(inFlight);
        deviceB = new FakeDevice(inFlight);
        master = Etsi014DeviceDriver.start(new Etsi014DeviceDriver.Settings(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER,
                "a1000000-0000-4000-8000-0000000000a1", B, new Etsi014Client(deviceA.url(), HttpClient.newHttpClient()),
                "fake-a", "sae-b", 256, CAPACITY, new InetSocketAddress("127.0.0.1", 0), null, tls(A),
                dir.resolve("journal-a")));
        slave = Etsi014DeviceDriver.start(new Etsi014DeviceDriver.Settings(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER,
                "b1000000-0000-4000-8000-0000000000b1", A, new Etsi014Client(deviceB.url(), HttpClient.newHttpClient()),
                "fake-b", "sae-a", 256, CAPACITY, null, "127.0.0.1:" + master.keyIdPort(), tls(B),
                dir.resolve("journal-b")));
    }

    @AfterEach
    void stop() {
        if (slave != null) {
            slave.close();
        }
        if (master != null) {
            master.close();
        }
        deviceA.close();
        deviceB.close();
    }

    private TlsFiles tls(String node) throws Exception {
        IssuedCredential.PemFiles f = ca.issue(node, Role.QKD_NODE, "test-provider").writeTo(dir, node);
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    private void attachBoth() {
        Instant now = Instant.now();
        master.attach(LINK, now);
        slave.attach(LINK, now);
        // What the key supply does once the key managers said where the link's stream continues.
        master.keys().advanceTo(0);
        slave.keys().advanceTo(0);
    }

    @Test
    void bothEndsHoldIdenticalBlocksUnderIdenticalIdsAtIdenticalIndices() {
        attachBoth();
        await(() -> slave.keys().producedBlocks() >= 40);
        for (long i = 0; i < 40; i++) {
            KeyBlock m = master.keys().block(i);
            KeyBlock s = slave.keys().block(i);
            assertThat(s.index()).isEqualTo(i).isEqualTo(m.index());
            assertThat(s.blockId()).isEqualTo(m.blockId());
            assertThat(s.key()).hasSize(32).isEqualTo(m.key());
        }
        ModuleReading r = master.read(Instant.now());
        assertThat(r.status()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat(r.qber()).as("not exposed by ETSI 014").isZero();
        assertThat(r.keyVolumeBits()).isGreaterThanOrEqualTo(40 * 256);
        assertThat(master.info().type()).contains("014", "QBER");
    }

    @Test
    void aLaggingConsumerStopsTheFetchingAndAcknowledgementsReleaseBlocks() {
        attachBoth();
        await(() -> master.keys().producedBlocks() == CAPACITY && slave.keys().producedBlocks() == CAPACITY);
        // Nothing acknowledged: the device handed out exactly what is held, no more.
        assertThat(deviceA.keysHandedOut.get()).isEqualTo(CAPACITY);
        UUID id10 = master.keys().block(10).blockId();

        master.keys().advanceTo(32);
        slave.keys().advanceTo(32);
        await(() -> slave.keys().producedBlocks() == CAPACITY + 32 && master.keys().producedBlocks() == CAPACITY + 32);
        assertThatThrownBy(() -> master.keys().block(10)).isInstanceOf(NoSuchElementException.class);
        assertThat(master.keys().block(80).blockId()).isEqualTo(slave.keys().block(80).blockId())
                .isNotEqualTo(id10);
        assertThat(slave.keys().block(80).key()).isEqualTo(master.keys().block(80).key());
    }

    @Test
    void aRestartedSlaveEndContinuesWhereItsKeyManagerStands() throws Exception {
        attachBoth();
        // Both ends full (nothing acknowledged yet): neither takes more key from its device.
        await(() -> master.keys().producedBlocks() == CAPACITY && slave.keys().producedBlocks() == CAPACITY);
        long acked = CAPACITY;
        // The slave end's key manager has everything the slave end held; then its agent restarts.
        slave.close();
        master.keys().advanceTo(acked);
        slave = Etsi014DeviceDriver.start(new Etsi014DeviceDriver.Settings(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER,
                "b1000000-0000-4000-8000-0000000000b1", A, new Etsi014Client(deviceB.url(), HttpClient.newHttpClient()),
                "fake-b", "sae-a", 256, CAPACITY, null, "127.0.0.1:" + master.keyIdPort(), tls(B),
                dir.resolve("journal-b")));
        slave.attach(LINK, Instant.now());
        slave.keys().advanceTo(acked);
        await(() -> slave.keys().producedBlocks() >= acked + 20);
        for (long i = acked; i < acked + 20; i++) {
            assertThat(slave.keys().block(i).blockId()).isEqualTo(master.keys().block(i).blockId());
            assertThat(slave.keys().block(i).key()).isEqualTo(master.keys().block(i).key());
        }
    }

    @Test
    void bothEndsRestartedKeepEveryUnacknowledgedBlockAndTheLinkCarriesOn() throws Exception {
        attachBoth();
        await(() -> master.keys().producedBlocks() == CAPACITY && slave.keys().producedBlocks() == CAPACITY);
        KeyBlock before = master.keys().block(CAPACITY - 1);
        int port = master.keyIdPort();
        // Neither key manager acknowledged anything: the devices' key exists only in the journals now.
        slave.close();
        master.close();
        master = Etsi014DeviceDriver.start(new Etsi014DeviceDriver.Settings(PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER,
                "a1000000-0000-4000-8000-0000000000a1", B, new Etsi014Client(deviceA.url(), HttpClient.newHttpClient()),
                "fake-a", "sae-b", 256, CAPACITY, new InetSocketAddress("127.0.0.1", port), null, tls(A),
                dir.resolve("journal-a")));
        slave = Etsi014DeviceDriver.start(new Etsi014DeviceDriver.Settings(PhysQkdRole.PHYS_QKD_ROLE_RECEIVER,
                "b1000000-0000-4000-8000-0000000000b1", A, new Etsi014Client(deviceB.url(), HttpClient.newHttpClient()),
                "fake-b", "sae-a", 256, CAPACITY, null, "127.0.0.1:" + port, tls(B), dir.resolve("journal-b")));
        attachBoth();
        assertThat(master.keys().producedBlocks()).isEqualTo(CAPACITY);
        assertThat(slave.keys().producedBlocks()).isEqualTo(CAPACITY);
        assertThat(master.keys().block(CAPACITY - 1).blockId()).isEqualTo(before.blockId());
        assertThat(master.keys().block(CAPACITY - 1).key()).isEqualTo(before.key());
        assertThat(slave.keys().block(CAPACITY - 1).key()).isEqualTo(before.key());

        master.keys().advanceTo(CAPACITY);
        slave.keys().advanceTo(CAPACITY);
        // Full again: the master stops fetching, so no device answer is in flight when counted below.
        await(() -> master.keys().producedBlocks() == 2 * CAPACITY && slave.keys().producedBlocks() == 2 * CAPACITY);
        for (long i = CAPACITY; i < 2 * CAPACITY; i++) {
            assertThat(slave.keys().block(i).blockId()).isEqualTo(master.keys().block(i).blockId());
            assertThat(slave.keys().block(i).key()).isEqualTo(master.keys().block(i).key());
        }
        assertThat(deviceA.keysHandedOut.get()).as("every key the device handed out is in the stream")
                .isEqualTo((int) master.keys().producedBlocks());
    }

    @Test
    void theMasterTakesNoKeyBeforeTheSlaveSubscribed() throws Exception {
        slave.close();
        slave = null;
        master.attach(LINK, Instant.now());
        master.keys().advanceTo(0);
        assertThat(master.keys().producedBlocks()).isZero();
        assertThat(master.read(Instant.now()).status()).isEqualTo(QkdlStatus.QKDL_STATUS_OFF);
        assertThat(deviceA.keysHandedOut.get()).isZero();
    }

    @Test
    void onlyTheLinksFarNodeMaySubscribe() throws Exception {
        attachBoth();
        assertThat(subscribe(tls(C), LINK, 0).getCode()).isEqualTo(Status.Code.PERMISSION_DENIED);
    }

    @Test
    void aSubscriptionOutsideTheHeldKeyIdsIsRefused() throws Exception {
        attachBoth();
        await(() -> slave.keys().producedBlocks() >= 1);
        assertThat(subscribe(tls(B), LINK, 1_000_000).getCode()).isEqualTo(Status.Code.OUT_OF_RANGE);
        assertThat(subscribe(tls(B), UUID.randomUUID().toString(), 0).getCode()).isEqualTo(Status.Code.NOT_FOUND);
    }

    /** Opens a key_ID stream with {@code tls} and returns how it ended. */
    private Status subscribe(TlsFiles tls, String link, long from) throws Exception {
        ManagedChannel ch = Grpc.newChannelBuilder("127.0.0.1:" + master.keyIdPort(), GrpcTls.channelCredentials(tls))
                .build();
        try {
            CompletableFuture<Status> ended = new CompletableFuture<>();
            StreamObserver<StreamKeyIdsRequest> out = DeviceKeyIdServiceGrpc.newStub(ch).streamKeyIds(
                    new StreamObserver<StreamKeyIdsResponse>() {
                        @Override
                        public void onNext(StreamKeyIdsResponse value) {
                        }

                        @Override
                        public void onError(Throwable t) {
                            ended.complete(Status.fromThrowable(t));
                        }

                        @Override
                        public void onCompleted() {
                            ended.complete(Status.OK);
                        }
                    });
            out.onNext(StreamKeyIdsRequest.newBuilder().setSubscription(KeyIdSubscription.newBuilder()
                    .setQkdlId(link).setFromIndex(from)).build());
            return ended.get(20, TimeUnit.SECONDS);
        } finally {
            ch.shutdownNow();
        }
    }

    /** Waits for progress; the cap only keeps a broken build from hanging. */
    private static void await(BooleanSupplier condition) {
        long end = System.nanoTime() + Duration.ofSeconds(30).toNanos();
        while (!condition.getAsBoolean()) {
            assertThat(System.nanoTime()).as("progress within 30 s").isLessThan(end);
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new AssertionError(e);
            }
        }
    }
}

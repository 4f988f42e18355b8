package org.qkdnf.kms.sk;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;

import com.google.protobuf.Timestamp;

import io.grpc.Server;
import io.grpc.Status;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.qkdnf.common.tls.GrpcTls;
import org.qkdnf.common.tls.TlsFiles;
import org.qkdnf.kms.KmsAgent;
import org.qkdnf.kms.KmsAgentConfig;
import org.qkdnf.kms.api.KeyServiceDefinition;
import org.qkdnf.pki.DevCertificateAuthority;
import org.qkdnf.pki.IssuedCredential;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.keymgmt.v1.CommandResult;
import org.qkdnf.proto.keymgmt.v1.ConnectRequest;
import org.qkdnf.proto.keymgmt.v1.ConnectResponse;
import org.qkdnf.proto.keymgmt.v1.HelloAck;
import org.qkdnf.proto.keymgmt.v1.InstallRoute;
import org.qkdnf.proto.keymgmt.v1.KeyManagementServiceGrpc;
import org.qkdnf.proto.keymgmt.v1.KeyRoute;
import org.qkdnf.proto.keymgmt.v1.KmsCommand;
import org.qkdnf.proto.keymgmt.v1.KmsCommandBatch;
import org.qkdnf.proto.keymgmt.v1.RemoveRoute;

/**
 * A real kms-agent's Sk client over mTLS, against a scripted controller end of the Sk stream that
 * sends a burst of route commands without waiting for answers: every command is answered, the
 * commands of one service id take effect in the order sent (an install followed at once by its
 * removal ends removed, and the reverse ends installed), bad commands are answered with the field
 * named, and every route acknowledged as installed is still there after a restart.
 */
class SkClientCommandsTest {

    private static final String PROVIDER = "provider-sk";
    private static final String SELF = "n1";
    private static final DevCertificateAuthority CA = DevCertificateAuthority.create(PROVIDER);

    @TempDir
    Path dir;

    @Test
    void aBurstOfCommandsIsAnsweredInOrderPerServiceAndDurable() throws Exception {
        ScriptedController controller = runBurst(false);
        assertThat(controller.resultBatches.get()).as("one result per message to a controller that sent no batch")
                .isZero();
    }

    @Test
    void aBurstSentInBatchesIsAnsweredInBatchesInOrderPerServiceAndDurable() throws Exception {
        ScriptedController controller = runBurst(true);
        assertThat(controller.singleResults.get()).isZero();
        assertThat(controller.resultBatches.get()).isPositive();
    }

    private ScriptedController runBurst(boolean batched) throws Exception {
        List<KmsCommand> burst = new ArrayList<>();
        Set<UUID> expectInstalled = new HashSet<>();
        for (int i = 0; i < 300; i++) {
            UUID id = new UUID(0x5c00L, i);
            switch (i % 3) {
                case 0:  // installed
                    burst.add(install(id, SELF));
                    expectInstalled.add(id);
                    break;
                case 1:  // installed, then removed before the install could have been synced
                    burst.add(install(id, SELF));
                    burst.add(remove(id.toString()));
                    break;
                default:  // removed (never there), then installed
                    burst.add(remove(id.toString()));
                    burst.add(install(id, SELF));
                    expectInstalled.add(id);
                    break;
            }
        }
        UUID elsewhere = new UUID(0x5c01L, 1);
        burst.add(install(elsewhere, "n7"));
        burst.add(remove("not-a-uuid"));
        UUID late = new UUID(0x5c01L, 2);
        burst.add(install(late, SELF).toBuilder().setDeadline(Timestamp.newBuilder()
                .setSeconds(Instant.now().minusSeconds(5).getEpochSecond())).build());

        ScriptedController controller = new ScriptedController(burst, batched);
        Server server = NettyServerBuilder.forAddress(new InetSocketAddress("127.0.0.1", 0),
                        GrpcTls.serverCredentials(issue("controller", DevCertificateAuthority.Role.CONTROLLER)))
                .addService(controller).build().start();
        TlsFiles kmsTls = issue(SELF, DevCertificateAuthority.Role.KMS);
        try {
            try (KmsAgent kms = KmsAgent.start(config(kmsTls))) {
                kms.connectController("127.0.0.1:" + server.getPort(), Duration.ofSeconds(5));
                assertThat(controller.allAnswered.await(20, TimeUnit.SECONDS)).as("every command answered").isTrue();

                Map<String, OperationResult> results = controller.results;
                for (KmsCommand c : burst.subList(0, burst.size() - 3)) {
                    assertThat(results.get(c.getRequestId()).getCode()).as(c.toString()).isEqualTo(Status.Code.OK.value());
                }
                OperationResult notHere = results.get(burst.get(burst.size() - 3).getRequestId());
                assertThat(notHere.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
                assertThat(notHere.getMessage()).startsWith("route:");
                OperationResult badId = results.get(burst.get(burst.size() - 2).getRequestId());
                assertThat(badId.getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT.value());
                assertThat(badId.getMessage()).startsWith("remove_route.service_id:");
                assertThat(results.get(burst.get(burst.size() - 1).getRequestId()).getCode())
                        .isEqualTo(Status.Code.DEADLINE_EXCEEDED.value());

                assertThat(ids(kms.services().services())).isEqualTo(expectInstalled);
            }
            try (KmsAgent restarted = KmsAgent.start(config(kmsTls))) {
                assertThat(ids(restarted.services().services())).as("after a restart").isEqualTo(expectInstalled);
            }
        } finally {
            server.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
        }
        return controller;
    }

    private KmsAgentConfig config(TlsFiles tls) {
        InetSocketAddress any = new InetSocketAddress("127.0.0.1", 0);
        return new KmsAgentConfig(SELF, "kme-1", dir.resolve("kms"), tls, any, any, any, 1L << 20);
    }

    private TlsFiles issue(String id, DevCertificateAuthority.Role role) throws Exception {
        IssuedCredential.PemFiles f = CA.issue(id, role, PROVIDER).writeTo(dir.resolve("pki-" + id), role.ou());
        return new TlsFiles(f.certificateChain(), f.privateKey(), f.trustedCa());
    }

    private static Set<UUID> ids(List<KeyServiceDefinition> services) {
        return services.stream().map(KeyServiceDefinition::serviceId).collect(Collectors.toSet());
    }

    private static KmsCommand install(UUID id, String via) {
        return KmsCommand.newBuilder().setRequestId(UUID.randomUUID().toString()).setDeadline(inAMinute())
                .setInstallRoute(InstallRoute.newBuilder().setRoute(KeyRoute.newBuilder().setServiceId(id.toString())
                        .setMasterSaeId("sae-m-" + id.getLeastSignificantBits()).setSlaveSaeId("sae-s")
                        .addRouteQkdnIds("n0").addRouteQkdnIds(via).addRouteQkdlIds("l01-" + via)
                        .setBufferBits(65_536)))
                .build();
    }

    private static KmsCommand remove(String id) {
        return KmsCommand.newBuilder().setRequestId(UUID.randomUUID().toString()).setDeadline(inAMinute())
                .setRemoveRoute(RemoveRoute.newBuilder().setServiceId(id)).build();
    }

    private static Timestamp inAMinute() {
        return Timestamp.newBuilder().setSeconds(Instant.now().plusSeconds(60).getEpochSecond()).build();
    }

    /**
     * The controller's end of Sk: on the hello, acknowledges it and sends the whole burst at once,
     * one command per message or (when {@code batched} and the hello accepts them) in batches of
     * {@value #BATCH}.
     */
    private static final class ScriptedController extends KeyManagementServiceGrpc.KeyManagementServiceImplBase {
        static final int BATCH = 64;
        final List<KmsCommand> burst;
        final boolean batched;
        final Map<String, OperationResult> results = new ConcurrentHashMap<>();
        final CountDownLatch allAnswered;
        final AtomicLong singleResults = new AtomicLong();
        final AtomicLong resultBatches = new AtomicLong();

        ScriptedController(List<KmsCommand> burst, boolean batched) {
            this.burst = burst;
            this.batched = batched;
            this.allAnswered = new CountDownLatch(burst.size());
        }

        private void answered(CommandResult r) {
            if (results.putIfAbsent(r.getRequestId(), r.getResult()) == null) {
                allAnswered.countDown();
            }
        }

        @Override
        public StreamObserver<ConnectRequest> connect(StreamObserver<ConnectResponse> out) {
            return new StreamObserver<>() {
                @Override
                public void onNext(ConnectRequest r) {
                    if (r.hasHello()) {
                        out.onNext(ConnectResponse.newBuilder().setHelloAck(HelloAck.newBuilder()
                                .setControllerId("scripted")).build());
                        if (batched && r.getHello().getAcceptsCommandBatches()) {
                            for (int i = 0; i < burst.size(); i += BATCH) {
                                out.onNext(ConnectResponse.newBuilder().setCommands(KmsCommandBatch.newBuilder()
                                        .addAllCommands(burst.subList(i, Math.min(burst.size(), i + BATCH)))).build());
                            }
                        } else {
                            burst.forEach(c -> out.onNext(ConnectResponse.newBuilder().setCommand(c).build()));
                        }
                    } else if (r.hasCommandResult()) {
                        singleResults.incrementAndGet();
                        answered(r.getCommandResult());
                    } else if (r.hasCommandResults()) {
                        resultBatches.incrementAndGet();
                        r.getCommandResults().getResultsList().forEach(ScriptedController.this::answered);
                    }
                }

                @Override
                public void onError(Throwable t) {
                }

                @Override
                public void onCompleted() {
                    out.onCompleted();
                }
            };
        }
    }
}

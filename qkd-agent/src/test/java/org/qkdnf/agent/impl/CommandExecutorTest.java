package org.qkdnf.agent.impl;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.sim.ChannelParameters;
import org.qkdnf.agent.sim.DecoyStateBb84;
import org.qkdnf.agent.sim.FibreSchedule;
import org.qkdnf.agent.sim.KeySeed;
import org.qkdnf.agent.sim.SimulatedQkdModule;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.CreateLinkCommand;
import org.qkdnf.proto.southbound.v1.DeleteLinkCommand;
import org.qkdnf.proto.southbound.v1.ModifyLinkCommand;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdLinkEnd;
import org.qkdnf.proto.southbound.v1.QkdlStatus;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.SetParametersCommand;

class CommandExecutorTest {

    static final String A = QkdAgentTest.A;
    static final String B = QkdAgentTest.B;
    static final String AB = QkdAgentTest.AB;
    static final String IA = QkdAgentTest.IA;
    static final String IB = QkdAgentTest.IB;
    static final Instant NOW = Instant.parse("2026-01-01T00:00:00Z");

    private NodeInventory inventory;
    private CommandExecutor executor;
    private final List<String> effects = new ArrayList<>();
    private int ids;

    @BeforeEach
    void node() {
        inventory = new NodeInventory(new AgentConfig.Node(A, "node-a", null));
        AgentConfig.Module m = new AgentConfig.Module(IA, PhysQkdRole.PHYS_QKD_ROLE_TRANSMITTER, B, IB,
                new ChannelParameters(20, 0.2, 0.2, 1e-6, 0.015, 1e9), FibreSchedule.NONE, KeySeed.random(), 8192,
                null);
        inventory.add(m, new SimulatedQkdModule(m.role(), m.channel(), m.schedule(), NOW, m.keySeed(), 8192,
                new DecoyStateBb84()));
        executor = new CommandExecutor(inventory, new CommandExecutor.Effects() {
            @Override
            public void inventoryChanged() {
                effects.add("inventory");
            }

            @Override
            public void linkRemoved(String qkdlId) {
                effects.add("removed " + qkdlId);
            }

            @Override
            public void reportIntervalChanged(int ms) {
                effects.add("interval " + ms);
            }

            @Override
            public void qberThresholdChanged(double threshold) {
                effects.add("qber " + threshold);
            }
        });
    }

    private String id() {
        return String.format("00000000-0000-4000-8000-%012d", ++ids);
    }

    private CommandResult run(ControllerCommand.Builder c) {
        if (c.getRequestId().isEmpty()) {
            c.setRequestId(id());
        }
        return executor.execute(c.build(), NOW).orElseThrow();
    }

    private static QkdLink.Builder link(String remoteNode) {
        return QkdLink.newBuilder().setQkdlId(AB).setQkdlEnable(true).setQkdlType(QkdlType.QKDL_TYPE_PHYS)
                .setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(A).setQkdiId(IA))
                .setQkdlRemote(QkdLinkEnd.newBuilder().setQkdnId(remoteNode).setQkdiId(IB));
    }

    private static ControllerCommand.Builder create(QkdLink.Builder l) {
        return ControllerCommand.newBuilder().setCreateLink(CreateLinkCommand.newBuilder().setQkdLink(l));
    }

    @Test
    void createModifyDeleteALink() {
        CommandResult created = run(create(link(B)));
        assertThat(created.getResult().getCode()).isZero();
        assertThat(created.getQkdLink().getQkdlStatus()).isEqualTo(QkdlStatus.QKDL_STATUS_ACTIVE);
        assertThat(inventory.qkdNode(NOW).getQkdLinksList()).extracting(QkdLink::getQkdlId).containsExactly(AB);
        assertThat(run(create(link(B))).getResult().getCode()).as("same link again is a no-op").isZero();

        CommandResult passive = run(ControllerCommand.newBuilder().setModifyLink(ModifyLinkCommand.newBuilder()
                .setQkdlId(AB).setQkdlEnable(false).setPhysWavelengthNm(1551.1)));
        assertThat(passive.getQkdLink().getQkdlStatus()).isEqualTo(QkdlStatus.QKDL_STATUS_PASSIVE);
        assertThat(passive.getQkdLink().getPhysWavelengthNm()).isEqualTo(1551.1);

        assertThat(run(ControllerCommand.newBuilder().setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)))
                .getResult().getCode()).isZero();
        assertThat(inventory.qkdNode(NOW).getQkdLinksCount()).isZero();
        assertThat(inventory.qkdNode(NOW).getQkdInterfacesCount()).isEqualTo(1);
        assertThat(effects).contains("removed " + AB);
    }

    @Test
    void refusalsCarryTheRightCodeAndNameTheField() {
        assertCode(run(create(link("c0000000-0000-4000-8000-00000000000c"))), Status.Code.FAILED_PRECONDITION,
                "qkdl_remote.qkdn_id");
        assertCode(run(create(link(B).setQkdlType(QkdlType.QKDL_TYPE_VIRT))), Status.Code.UNIMPLEMENTED, "qkdl_type");
        assertCode(run(create(link(B).setQkdlId("x"))), Status.Code.INVALID_ARGUMENT, "create_link.qkd_link.qkdl_id");
        assertCode(run(create(link(B).setQkdlLocal(QkdLinkEnd.newBuilder().setQkdnId(A)
                .setQkdiId("99999999-0000-4000-8000-000000000000")))), Status.Code.NOT_FOUND, "qkdl_local.qkdi_id");
        assertCode(run(create(link(B).setPhysWavelengthNm(1310))), Status.Code.OUT_OF_RANGE, "phys_wavelength_nm");
        assertCode(run(ControllerCommand.newBuilder().setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB))),
                Status.Code.NOT_FOUND, "delete_link.qkdl_id");
        assertCode(run(ControllerCommand.newBuilder()), Status.Code.INVALID_ARGUMENT, "command");
        assertCode(run(ControllerCommand.newBuilder().setSetParameters(SetParametersCommand.newBuilder()
                .setReportIntervalMs(1000).setQberAlarmThreshold(0.9))), Status.Code.INVALID_ARGUMENT,
                "set_parameters.qber_alarm_threshold");
        assertThat(effects).as("a refused command changes nothing").isEmpty();
    }

    @Test
    void aRepeatedRequestIdIsAnsweredAgainWithoutExecutingTwice() {
        String id = id();
        CommandResult first = run(create(link(B)).setRequestId(id));
        run(ControllerCommand.newBuilder().setDeleteLink(DeleteLinkCommand.newBuilder().setQkdlId(AB)));
        CommandResult again = run(create(link(B)).setRequestId(id));
        assertThat(again).isEqualTo(first);
        assertThat(inventory.qkdNode(NOW).getQkdLinksCount()).as("not re-created").isZero();
    }

    @Test
    void aCommandPastItsDeadlineIsNotExecuted() {
        CommandResult r = run(create(link(B)).setDeadline(Timestamp.newBuilder().setSeconds(NOW.getEpochSecond() - 1)));
        assertCode(r, Status.Code.DEADLINE_EXCEEDED, "deadline");
        assertThat(inventory.qkdNode(NOW).getQkdLinksCount()).isZero();
    }

    @Test
    void aCommandWithoutUsableRequestIdGetsNoAnswer() {
        assertThat(executor.execute(ControllerCommand.newBuilder().setRequestId("nope").build(), NOW)).isEmpty();
    }

    @Test
    void parametersApply() {
        assertThat(run(ControllerCommand.newBuilder().setSetParameters(SetParametersCommand.newBuilder()
                .setReportIntervalMs(2000).setQberAlarmThreshold(0.05))).getResult().getCode()).isZero();
        assertThat(effects).containsExactly("interval 2000", "qber 0.05");
    }

    private static void assertCode(CommandResult r, Status.Code code, String field) {
        assertThat(Status.fromCodeValue(r.getResult().getCode()).getCode()).isEqualTo(code);
        assertThat(r.getResult().getMessage()).contains(field);
    }
}

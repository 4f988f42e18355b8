package org.qkdnf.agent.impl;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;

import com.google.protobuf.Timestamp;
import io.grpc.Status;
import org.qkdnf.agent.config.AgentConfig;
import org.qkdnf.agent.driver.ModuleInfo;
import org.qkdnf.common.ids.Uuids;
import org.qkdnf.proto.common.v1.OperationResult;
import org.qkdnf.proto.southbound.v1.CommandResult;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.CreateLinkCommand;
import org.qkdnf.proto.southbound.v1.DeleteLinkCommand;
import org.qkdnf.proto.southbound.v1.ModifyLinkCommand;
import org.qkdnf.proto.southbound.v1.PhysQkdRole;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.SetParametersCommand;

/**
 * Executes the controller's commands on the node and answers each with a result carrying the
 * command's request id. A request id seen before gets the first answer again without executing
 * twice (the controller may resend after a reconnect). A command whose deadline has passed is
 * answered DEADLINE_EXCEEDED and not executed: its caller has already given up.
 *
 * <p>Owned by the agent loop thread.
 */
final class CommandExecutor {

    /** How many answered request ids are remembered for de-duplication. */
    static final int REMEMBERED_RESULTS = 1024;

    /** What a command changed, so the agent can tell the controller. */
    interface Effects {
        void inventoryChanged();

        void linkRemoved(String qkdlId);

        void reportIntervalChanged(int ms);

        void qberThresholdChanged(double threshold);
    }

    private final NodeInventory inventory;
    private final Effects effects;
    private final Map<String, CommandResult> answered = new LinkedHashMap<>(64, 0.75f, false) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, CommandResult> eldest) {
            return size() > REMEMBERED_RESULTS;
        }
    };

    CommandExecutor(NodeInventory inventory, Effects effects) {
        this.inventory = inventory;
        this.effects = effects;
    }

    /**
     * @return the answer, or empty when the command has no usable request id (nothing to answer to)
     */
    Optional<CommandResult> execute(ControllerCommand command, Instant now) {
        String id = command.getRequestId();
        if (!Uuids.isUuid(id)) {
            return Optional.empty();
        }
        CommandResult earlier = answered.get(id);
        if (earlier != null) {
            return Optional.of(earlier);
        }
        CommandResult result;
        if (command.hasDeadline() && isPast(command.getDeadline(), now)) {
            result = failure(id, Status.Code.DEADLINE_EXCEEDED, "deadline: passed before the agent got the command");
        } else {
            try {
                result = run(command, now);
            } catch (CommandFailure f) {
                result = failure(id, f.code, f.getMessage());
            }
        }
        answered.put(id, result);
        return Optional.of(result);
    }

    private CommandResult run(ControllerCommand c, Instant now) throws CommandFailure {
        switch (c.getCommandCase()) {
            case CREATE_LINK:
                return create(c.getRequestId(), c.getCreateLink(), now);
            case MODIFY_LINK:
                return modify(c.getRequestId(), c.getModifyLink(), now);
            case DELETE_LINK:
                return delete(c.getRequestId(), c.getDeleteLink(), now);
            case SET_PARAMETERS:
                return setParameters(c.getRequestId(), c.getSetParameters());
            case COMMAND_NOT_SET:
            default:
                throw new CommandFailure(Status.Code.INVALID_ARGUMENT, "command: not set");
        }
    }

    private CommandResult create(String id, CreateLinkCommand c, Instant now) throws CommandFailure {
        if (!c.hasQkdLink()) {
            throw invalid("create_link.qkd_link: required");
        }
        QkdLink l = c.getQkdLink();
        uuid(l.getQkdlId(), "create_link.qkd_link.qkdl_id");
        if (l.getQkdlType() == QkdlType.QKDL_TYPE_VIRT) {
            throw new CommandFailure(Status.Code.UNIMPLEMENTED,
                    "create_link.qkd_link.qkdl_type: VIRT links are made by key relay in the key manager, not here");
        }
        if (l.getQkdlType() != QkdlType.QKDL_TYPE_PHYS) {
            throw invalid("create_link.qkd_link.qkdl_type: must be PHYS");
        }
        if (!inventory.qkdnId().equals(l.getQkdlLocal().getQkdnId())) {
            throw invalid("create_link.qkd_link.qkdl_local.qkdn_id: must be this node, " + inventory.qkdnId());
        }
        uuid(l.getQkdlLocal().getQkdiId(), "create_link.qkd_link.qkdl_local.qkdi_id");
        ModuleSlot slot = inventory.module(l.getQkdlLocal().getQkdiId()).orElseThrow(() -> new CommandFailure(
                Status.Code.NOT_FOUND, "create_link.qkd_link.qkdl_local.qkdi_id: no module "
                + l.getQkdlLocal().getQkdiId() + " on this node"));
        AgentConfig.Module m = slot.config;
        if (!m.remoteQkdnId().equals(l.getQkdlRemote().getQkdnId())) {
            throw new CommandFailure(Status.Code.FAILED_PRECONDITION, "create_link.qkd_link.qkdl_remote.qkdn_id: "
                    + "module " + m.qkdiId() + " has no fibre to node " + l.getQkdlRemote().getQkdnId());
        }
        if (!l.getQkdlRemote().getQkdiId().isEmpty() && !m.remoteQkdiId().equals(l.getQkdlRemote().getQkdiId())) {
            throw new CommandFailure(Status.Code.FAILED_PRECONDITION, "create_link.qkd_link.qkdl_remote.qkdi_id: "
                    + "module " + m.qkdiId() + "'s fibre ends at module " + m.remoteQkdiId());
        }
        if (l.getPhysQkdRole() != PhysQkdRole.PHYS_QKD_ROLE_UNSPECIFIED && l.getPhysQkdRole() != m.role()) {
            throw new CommandFailure(Status.Code.FAILED_PRECONDITION, "create_link.qkd_link.phys_qkd_role: module "
                    + m.qkdiId() + " is a " + m.role());
        }
        if (slot.hasLink()) {
            if (slot.qkdlId.equals(l.getQkdlId())) {
                return ok(id, inventory.qkdLink(slot, now)); // already there: creating it again is a no-op
            }
            throw new CommandFailure(Status.Code.ALREADY_EXISTS, "create_link.qkd_link.qkdl_local.qkdi_id: module "
                    + m.qkdiId() + " already carries link " + slot.qkdlId);
        }
        if (inventory.byLink(l.getQkdlId()).isPresent()) {
            throw new CommandFailure(Status.Code.ALREADY_EXISTS, "create_link.qkd_link.qkdl_id: link "
                    + l.getQkdlId() + " exists on another module");
        }
        double wavelength = l.getPhysWavelengthNm() == 0 ? ModuleSlot.DEFAULT_WAVELENGTH_NM : l.getPhysWavelengthNm();
        checkWavelength(slot, wavelength, "create_link.qkd_link.phys_wavelength_nm");
        slot.attach(l.getQkdlId(), l.getQkdlEnable(), now);
        slot.wavelengthNm = wavelength;
        effects.inventoryChanged();
        return ok(id, inventory.qkdLink(slot, now));
    }

    private CommandResult modify(String id, ModifyLinkCommand c, Instant now) throws CommandFailure {
        uuid(c.getQkdlId(), "modify_link.qkdl_id");
        ModuleSlot slot = inventory.byLink(c.getQkdlId()).orElseThrow(() -> new CommandFailure(Status.Code.NOT_FOUND,
                "modify_link.qkdl_id: no link " + c.getQkdlId() + " on this node"));
        if (c.hasPhysWavelengthNm()) {
            checkWavelength(slot, c.getPhysWavelengthNm(), "modify_link.phys_wavelength_nm");
            slot.wavelengthNm = c.getPhysWavelengthNm();
        }
        if (c.hasQkdlEnable() && c.getQkdlEnable() != slot.enabled) {
            slot.enabled = c.getQkdlEnable();
            slot.driver.setEnabled(slot.enabled, now);
        }
        slot.reading = slot.driver.read(now);
        effects.inventoryChanged();
        return ok(id, inventory.qkdLink(slot, now));
    }

    private CommandResult delete(String id, DeleteLinkCommand c, Instant now) throws CommandFailure {
        uuid(c.getQkdlId(), "delete_link.qkdl_id");
        ModuleSlot slot = inventory.byLink(c.getQkdlId()).orElseThrow(() -> new CommandFailure(Status.Code.NOT_FOUND,
                "delete_link.qkdl_id: no link " + c.getQkdlId() + " on this node"));
        slot.detach(now);
        effects.linkRemoved(c.getQkdlId());
        effects.inventoryChanged();
        return ok(id, null);
    }

    private CommandResult setParameters(String id, SetParametersCommand c) throws CommandFailure {
        // Check everything before changing anything: a rejected command changes nothing.
        if (c.hasReportIntervalMs()) {
            try {
                AgentConfig.checkReportInterval(c.getReportIntervalMs(), "set_parameters.report_interval_ms");
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }
        if (c.hasQberAlarmThreshold()) {
            try {
                AgentConfig.checkQberThreshold(c.getQberAlarmThreshold(), "set_parameters.qber_alarm_threshold");
            } catch (IllegalArgumentException e) {
                throw invalid(e.getMessage());
            }
        }
        if (c.hasReportIntervalMs()) {
            effects.reportIntervalChanged(c.getReportIntervalMs());
        }
        if (c.hasQberAlarmThreshold()) {
            effects.qberThresholdChanged(c.getQberAlarmThreshold());
        }
        return ok(id, null);
    }

    private static void checkWavelength(ModuleSlot slot, double nm, String field) throws CommandFailure {
        ModuleInfo info = slot.driver.info();
        if (!(nm >= info.wavelengthRangeMinNm() && nm <= info.wavelengthRangeMaxNm())) {
            throw new CommandFailure(Status.Code.OUT_OF_RANGE, field + ": module " + slot.config.qkdiId()
                    + " works between " + info.wavelengthRangeMinNm() + " and " + info.wavelengthRangeMaxNm()
                    + " nm, got " + nm);
        }
    }

    private static boolean isPast(Timestamp deadline, Instant now) {
        return Instant.ofEpochSecond(deadline.getSeconds(), deadline.getNanos()).isBefore(now);
    }

    private static void uuid(String v, String field) throws CommandFailure {
        if (!Uuids.isUuid(v)) {
            throw invalid(field + ": must be a UUID, got '" + v + "'");
        }
    }

    private static CommandFailure invalid(String message) {
        return new CommandFailure(Status.Code.INVALID_ARGUMENT, message);
    }

    private static CommandResult ok(String id, QkdLink link) {
        CommandResult.Builder b = CommandResult.newBuilder().setRequestId(id)
                .setResult(OperationResult.newBuilder().setCode(Status.Code.OK.value()));
        if (link != null) {
            b.setQkdLink(link);
        }
        return b.build();
    }

    private static CommandResult failure(String id, Status.Code code, String message) {
        return CommandResult.newBuilder().setRequestId(id)
                .setResult(OperationResult.newBuilder().setCode(code.value()).setMessage(message)).build();
    }

    /** A command that cannot be executed, with the gRPC code and message for its result. */
    private static final class CommandFailure extends Exception {
        private static final long serialVersionUID = 1L;
        final Status.Code code;

        CommandFailure(Status.Code code, String message) {
            super(message, null, false, false);
            this.code = code;
        }
    }
}

package org.qkdnf.controller.impl;

import org.qkdnf.controller.api.QkdIds;
import org.qkdnf.proto.southbound.v1.ControllerCommand;
import org.qkdnf.proto.southbound.v1.QkdLink;
import org.qkdnf.proto.southbound.v1.QkdlType;
import org.qkdnf.proto.southbound.v1.SetParametersCommand;

/** Checks a command before it is sent, so a bad one fails the caller with INVALID_ARGUMENT. */
final class CommandValidation {

    private CommandValidation() {
    }

    /** @return null when valid, else a message naming the field */
    static String validate(ControllerCommand c) {
        if (!c.getRequestId().isEmpty() && !QkdIds.isUuid(c.getRequestId())) {
            return "request_id: not a UUID";
        }
        switch (c.getCommandCase()) {
            case CREATE_LINK:
                if (!c.getCreateLink().hasQkdLink()) {
                    return "create_link.qkd_link: required";
                }
                return validateLink(c.getCreateLink().getQkdLink(), "create_link.qkd_link");
            case MODIFY_LINK:
                if (!QkdIds.isUuid(c.getModifyLink().getQkdlId())) {
                    return "modify_link.qkdl_id: not a UUID";
                }
                if (c.getModifyLink().hasPhysWavelengthNm()) {
                    double w = c.getModifyLink().getPhysWavelengthNm();
                    if (!Double.isFinite(w) || w <= 0) {
                        return "modify_link.phys_wavelength_nm: must be a positive finite number";
                    }
                }
                return null;
            case DELETE_LINK:
                return QkdIds.isUuid(c.getDeleteLink().getQkdlId()) ? null : "delete_link.qkdl_id: not a UUID";
            case SET_PARAMETERS:
                SetParametersCommand s = c.getSetParameters();
                if (s.hasQberAlarmThreshold()
                        && !(s.getQberAlarmThreshold() > 0 && s.getQberAlarmThreshold() <= 0.5)) {
                    return "set_parameters.qber_alarm_threshold: must be in (0, 0.5]";
                }
                if (s.hasReportIntervalMs() && s.getReportIntervalMs() == 0) {
                    return "set_parameters.report_interval_ms: must be >= 1";
                }
                return null;
            case COMMAND_NOT_SET:
            default:
                return "command: not set";
        }
    }

    private static String validateLink(QkdLink l, String f) {
        if (!QkdIds.isUuid(l.getQkdlId())) {
            return f + ".qkdl_id: not a UUID";
        }
        if (!QkdIds.isUuid(l.getQkdlLocal().getQkdnId())) {
            return f + ".qkdl_local.qkdn_id: not a UUID";
        }
        if (!QkdIds.isUuid(l.getQkdlRemote().getQkdnId())) {
            return f + ".qkdl_remote.qkdn_id: not a UUID";
        }
        if (l.getQkdlType() == QkdlType.QKDL_TYPE_UNSPECIFIED || l.getQkdlType() == QkdlType.UNRECOGNIZED) {
            return f + ".qkdl_type: must be PHYS or VIRT";
        }
        return null;
    }
}

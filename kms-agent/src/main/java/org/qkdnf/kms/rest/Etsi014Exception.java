package org.qkdnf.kms.rest;

import java.util.List;
import java.util.Map;

/** An error answer: HTTP status and the ETSI GS QKD 014 Error body. */
final class Etsi014Exception extends Exception {
    private static final long serialVersionUID = 1L;

    final int httpStatus;
    final transient List<Map<String, Object>> details;

    Etsi014Exception(int httpStatus, String message, List<Map<String, Object>> details) {
        super(message, null, false, false);
        this.httpStatus = httpStatus;
        this.details = details;
    }

    static Etsi014Exception badRequest(String field, String problem) {
        return new Etsi014Exception(400, "bad request", List.of(Map.of(field, problem)));
    }
}

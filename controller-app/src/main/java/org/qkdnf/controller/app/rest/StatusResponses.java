package org.qkdnf.controller.app.rest;

import javax.ws.rs.core.MediaType;
import javax.ws.rs.core.Response;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.grpc.Status;

/**
 * HTTP answers for failed key-service calls, in ONOS's error body ({@code {"code":..,"message":..}});
 * the message is the gRPC status description, which names the field.
 *
 * <pre>
 * INVALID_ARGUMENT                        400 Bad Request
 * NOT_FOUND                               404 Not Found
 * RESOURCE_EXHAUSTED, ALREADY_EXISTS,
 * FAILED_PRECONDITION, ABORTED            409 Conflict (no capacity, or the state does not allow it)
 * UNAVAILABLE                             503 Service Unavailable (no leader, key manager not connected)
 * DEADLINE_EXCEEDED                       504 Gateway Timeout
 * anything else                           500 Internal Server Error, without details
 * </pre>
 */
final class StatusResponses {

    private StatusResponses() {
    }

    static int httpCode(Status.Code code) {
        switch (code) {
            case INVALID_ARGUMENT:
            case OUT_OF_RANGE:
                return 400;
            case NOT_FOUND:
                return 404;
            case RESOURCE_EXHAUSTED:
            case ALREADY_EXISTS:
            case FAILED_PRECONDITION:
            case ABORTED:
                return 409;
            case UNAVAILABLE:
                return 503;
            case DEADLINE_EXCEEDED:
                return 504;
            default:
                return 500;
        }
    }

    static Response of(ObjectMapper mapper, Status status) {
        int http = httpCode(status.getCode());
        String message = http == 500 || status.getDescription() == null
                ? (http == 500 ? "internal error" : status.getCode().name()) : status.getDescription();
        return error(mapper, http, message);
    }

    static Response error(ObjectMapper mapper, int http, String message) {
        return Response.status(http).type(MediaType.APPLICATION_JSON)
                .entity(mapper.createObjectNode().put("code", http).put("message", message).toString()).build();
    }
}

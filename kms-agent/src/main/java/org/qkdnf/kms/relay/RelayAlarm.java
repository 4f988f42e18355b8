package org.qkdnf.kms.relay;

import java.time.Instant;
import java.util.UUID;

import io.grpc.Status;

/**
 * A relay failure on one hop, for operators: which hop, which link, what kind. Holds no key
 * material.
 *
 * @param detectedAt when it was detected
 * @param reportedBy qkdn_id of the node that detected it
 * @param hop        the faulty hop (its link is the link whose key was spent or refused)
 * @param serviceId  the key service of the message, or null when the message did not name a valid one
 * @param sequence   the message's relay sequence number (0 when unknown)
 * @param code       DATA_LOSS for a tag that does not verify (tampering or truncation),
 *                   FAILED_PRECONDITION for a replayed range or sequence, PERMISSION_DENIED for a
 *                   caller that is not the node the route names, INVALID_ARGUMENT for a malformed
 *                   message, others for resource or transport failures
 * @param description the message sent back, naming the hop and the field
 */
public record RelayAlarm(Instant detectedAt, String reportedBy, Hop hop, UUID serviceId, long sequence,
                         Status.Code code, String description) {
}

package org.qkdnf.controller.km;

import org.qkdnf.proto.keymgmt.v1.KmsCommand;

/** The sending side of a key manager's stream; thread-safe. */
interface KmsChannel {

    /** @throws io.grpc.StatusRuntimeException UNAVAILABLE when the stream is closed */
    void sendCommand(KmsCommand command);
}

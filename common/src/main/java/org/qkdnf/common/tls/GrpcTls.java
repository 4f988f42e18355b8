package org.qkdnf.common.tls;

import java.io.IOException;
import java.io.UncheckedIOException;

import io.grpc.ChannelCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;

/**
 * Mutual-TLS credentials for every gRPC reference point of the suite. Servers always require a
 * client certificate signed by a trusted CA: no reference point accepts anonymous peers.
 */
public final class GrpcTls {

    private GrpcTls() {
    }

    /** Server credentials that present {@code files}' certificate and require a client certificate. */
    public static ServerCredentials serverCredentials(TlsFiles files) {
        files.requireReadable();
        try {
            return TlsServerCredentials.newBuilder()
                    .keyManager(files.certificateChain().toFile(), files.privateKey().toFile())
                    .trustManager(files.trustedCa().toFile())
                    .clientAuth(TlsServerCredentials.ClientAuth.REQUIRE)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load TLS material " + files, e);
        }
    }

    /** Channel credentials that present {@code files}' certificate and trust only its CA. */
    public static ChannelCredentials channelCredentials(TlsFiles files) {
        files.requireReadable();
        try {
            return TlsChannelCredentials.newBuilder()
                    .keyManager(files.certificateChain().toFile(), files.privateKey().toFile())
                    .trustManager(files.trustedCa().toFile())
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot load TLS material " + files, e);
        }
    }
}

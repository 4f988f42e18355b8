package org.qkdnf.kms.rest;

import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.Map;

import javax.net.ssl.SSLPeerUnverifiedException;

import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import org.qkdnf.common.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts one HTTP connection to {@link Etsi014Api}: reads the caller's SAE identity from the TLS
 * session, decodes the query, writes the JSON answer with keep-alive. Runs on the server's
 * blocking executor (one handler per connection, requests of a connection in order).
 */
final class Etsi014Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(Etsi014Handler.class);
    static final String SAE_ROLE = "sae";

    private final Etsi014Api api;
    /** The caller's SAE id, read once per connection; {@code ""} when the certificate names no SAE. */
    private String sae;

    Etsi014Handler(Etsi014Api api) {
        this.api = api;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        Etsi014Api.Response r;
        if (!request.decoderResult().isSuccess()) {
            r = new Etsi014Api.Response(400, "{\"message\":\"malformed HTTP request\"}".getBytes());
        } else {
            QueryStringDecoder uri = new QueryStringDecoder(request.uri());
            Map<String, List<String>> query = uri.parameters();
            byte[] body = ByteBufUtil.getBytes(request.content());
            String caller = callerSae(ctx);
            r = api.handle(request.method().name(), uri.path(), query, body, caller.isEmpty() ? null : caller);
            if (r.status() >= 400) {
                // The path names SAEs, never key; the body is not logged.
                log.debug("{} {} from SAE {} -> {}", request.method(), uri.path(), caller, r.status());
            }
        }
        FullHttpResponse response = new DefaultFullHttpResponse(request.protocolVersion(),
                HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(response, r.body().length);
        boolean keepAlive = HttpUtil.isKeepAlive(request);
        HttpUtil.setKeepAlive(response, keepAlive);
        if (keepAlive) {
            ctx.writeAndFlush(response);
        } else {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        }
    }

    private String callerSae(ChannelHandlerContext ctx) {
        if (sae == null) {
            sae = "";
            SslHandler tls = ctx.pipeline().get(SslHandler.class);
            try {
                Certificate[] chain = tls.engine().getSession().getPeerCertificates();
                if (chain.length > 0 && chain[0] instanceof X509Certificate) {
                    PeerIdentity.fromCertificate((X509Certificate) chain[0])
                            .filter(id -> SAE_ROLE.equals(id.role()))
                            .ifPresent(id -> sae = id.id());
                }
            } catch (SSLPeerUnverifiedException e) {
                log.debug("no verified client certificate", e);
            }
        }
        return sae;
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
        if (evt instanceof IdleStateEvent) {
            ctx.close();
        } else {
            super.userEventTriggered(ctx, evt);
        }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        log.debug("ETSI 014 connection {} failed: {}", ctx.channel().remoteAddress(), cause.toString());
        ctx.close();
    }
}

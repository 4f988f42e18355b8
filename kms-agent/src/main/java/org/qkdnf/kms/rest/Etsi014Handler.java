package org.qkdnf.kms.rest;

import java.nio.charset.StandardCharsets;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayDeque;
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
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.QueryStringDecoder;
import io.netty.handler.ssl.SslHandler;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.util.concurrent.EventExecutor;
import io.netty.util.concurrent.EventExecutorGroup;
import org.qkdnf.common.tls.PeerIdentity;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Adapts one HTTP connection to {@link Etsi014Api}: reads the caller's SAE identity from the TLS
 * session, decodes the query, writes the JSON answer with keep-alive.
 *
 * <p>Threads: runs on the connection's event loop, which owns all its fields. What can be answered
 * from memory ({@link Etsi014Api#handleInline}: errors, status, ready keys) is answered there; any
 * other request goes to one blocking thread of the server's pool and its answer comes back to the
 * event loop. While such a request is out, reading stops and requests already decoded (pipelined)
 * wait in {@link #waiting}, so answers keep the requests' order. Inline answers are flushed once
 * per read, not once per answer.
 */
final class Etsi014Handler extends SimpleChannelInboundHandler<FullHttpRequest> {

    private static final Logger log = LoggerFactory.getLogger(Etsi014Handler.class);
    static final String SAE_ROLE = "sae";

    private final Etsi014Api api;
    private final EventExecutorGroup blockingGroup;
    private EventExecutor blocking;
    /** The caller's SAE id, read once per connection; {@code ""} when the certificate names no SAE. */
    private String sae;
    /** A request of this connection is on a blocking thread. */
    private boolean busy;
    private boolean unflushed;
    private final ArrayDeque<Call> waiting = new ArrayDeque<>();

    /** What the answer needs of a request, copied out of Netty's buffers (released after the read). */
    private record Call(String method, String uri, byte[] body, HttpVersion version, boolean keepAlive,
                        boolean malformed) {
    }

    Etsi014Handler(Etsi014Api api, EventExecutorGroup blocking) {
        this.api = api;
        this.blockingGroup = blocking;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        blocking = blockingGroup.next();
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, FullHttpRequest request) {
        Call call = new Call(request.method().name(), request.uri(), ByteBufUtil.getBytes(request.content()),
                request.protocolVersion(), HttpUtil.isKeepAlive(request), !request.decoderResult().isSuccess());
        if (busy) {
            waiting.add(call);
        } else {
            serve(ctx, call);
        }
    }

    private void serve(ChannelHandlerContext ctx, Call call) {
        if (call.malformed()) {
            respond(ctx, call, new Etsi014Api.Response(400, "{\"message\":\"malformed HTTP request\"}"
                    .getBytes(StandardCharsets.US_ASCII)), false);
            return;
        }
        QueryStringDecoder uri = new QueryStringDecoder(call.uri());
        String caller = callerSae(ctx);
        Etsi014Api.Response inline = answer(call, uri, caller, true);
        if (inline != null) {
            respond(ctx, call, inline, false);
            return;
        }
        busy = true;
        ctx.channel().config().setAutoRead(false);
        blocking.execute(() -> {
            Etsi014Api.Response r = answer(call, uri, caller, false);
            ctx.executor().execute(() -> {
                respond(ctx, call, r, true);
                busy = false;
                ctx.channel().config().setAutoRead(true);
                while (!busy && !waiting.isEmpty() && ctx.channel().isActive()) {
                    serve(ctx, waiting.poll());
                }
                flushIfNeeded(ctx);
            });
        });
    }

    private Etsi014Api.Response answer(Call call, QueryStringDecoder uri, String caller, boolean inlineOnly) {
        Map<String, List<String>> query = uri.parameters();
        String who = caller.isEmpty() ? null : caller;
        Etsi014Api.Response r;
        try {
            r = inlineOnly ? api.handleInline(call.method(), uri.path(), query, call.body(), who)
                    : api.handle(call.method(), uri.path(), query, call.body(), who);
        } catch (RuntimeException e) {
            // A failure below the key service (a store that cannot write, say); never key material.
            log.warn("{} {} from SAE {} failed: {}", call.method(), uri.path(), caller, e.toString());
            r = new Etsi014Api.Response(503, "{\"message\":\"the key manager cannot serve this request now\"}"
                    .getBytes(StandardCharsets.US_ASCII));
        }
        if (r != null && r.status() >= 400) {
            // The path names SAEs, never key; the body is not logged.
            log.debug("{} {} from SAE {} -> {}", call.method(), uri.path(), caller, r.status());
        }
        return r;
    }

    private void respond(ChannelHandlerContext ctx, Call call, Etsi014Api.Response r, boolean flushNow) {
        FullHttpResponse response = new DefaultFullHttpResponse(call.version(),
                HttpResponseStatus.valueOf(r.status()), Unpooled.wrappedBuffer(r.body()));
        response.headers().set(HttpHeaderNames.CONTENT_TYPE, HttpHeaderValues.APPLICATION_JSON);
        response.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store");
        HttpUtil.setContentLength(response, r.body().length);
        HttpUtil.setKeepAlive(response, call.keepAlive());
        if (!call.keepAlive()) {
            ctx.writeAndFlush(response).addListener(ChannelFutureListener.CLOSE);
        } else if (flushNow) {
            ctx.writeAndFlush(response);
        } else {
            ctx.write(response);
            unflushed = true;
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        flushIfNeeded(ctx);
        ctx.fireChannelReadComplete();
    }

    private void flushIfNeeded(ChannelHandlerContext ctx) {
        if (unflushed) {
            unflushed = false;
            ctx.flush();
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

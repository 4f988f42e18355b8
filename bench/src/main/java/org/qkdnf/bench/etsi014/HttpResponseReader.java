package org.qkdnf.bench.etsi014;

import java.nio.charset.StandardCharsets;
import java.util.List;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.DecoderException;
import io.netty.util.ByteProcessor;

/**
 * Reads HTTP/1.1 responses framed by {@code Content-Length}, as the key managers send every answer,
 * into {@link Response}s: status code and body. Why not Netty's {@code HttpClientCodec} and
 * aggregator: the driver shares the cores with the servers it measures, and decoding every header
 * into a map cost it about a third of its CPU per request; this reads the status line and one
 * header. Anything it cannot frame (no {@code Content-Length}, chunked, a head over 8 KiB) fails the
 * connection, which the driver counts as a failure. Runs on the connection's event loop.
 */
final class HttpResponseReader extends ByteToMessageDecoder {

    /** An answer: status and body (US-ASCII, as ETSI 014 bodies are). */
    record Response(int status, String body) {
    }

    private static final int MAX_HEAD = 8192;
    private static final byte[] CONTENT_LENGTH = "content-length:".getBytes(StandardCharsets.US_ASCII);
    /** Stops at the end of "\r\n\r\n"; its state is this connection's, reset before each search. */
    private final EndOfHead endOfHead = new EndOfHead();

    private static final class EndOfHead implements ByteProcessor {
        int state;

        @Override
        public boolean process(byte b) {
            state = b == '\r' ? (state == 2 ? 3 : 1) : b == '\n' && (state == 1 || state == 3) ? state + 1 : 0;
            return state != 4;
        }
    }

    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        while (in.isReadable()) {
            int start = in.readerIndex();
            endOfHead.state = 0;
            int end = in.forEachByte(start, Math.min(in.readableBytes(), MAX_HEAD), endOfHead);
            if (end < 0) {
                if (in.readableBytes() >= MAX_HEAD) {
                    throw new DecoderException("response head longer than " + MAX_HEAD + " bytes");
                }
                return;
            }
            int headLength = end + 1 - start;
            int length = contentLength(in, start, headLength);
            if (in.readableBytes() < headLength + length) {
                return;
            }
            int status = statusCode(in, start);
            String body = in.toString(start + headLength, length, StandardCharsets.US_ASCII);
            in.skipBytes(headLength + length);
            out.add(new Response(status, body));
        }
    }

    /** "HTTP/1.1 200 ...": the three digits after the first space. */
    private static int statusCode(ByteBuf in, int start) {
        if (in.getByte(start + 8) != ' ') {
            throw new DecoderException("not an HTTP/1.x status line");
        }
        int code = 0;
        for (int i = 9; i < 12; i++) {
            int d = in.getByte(start + i) - '0';
            if (d < 0 || d > 9) {
                throw new DecoderException("status code: not three digits");
            }
            code = code * 10 + d;
        }
        return code;
    }

    /** The value of the Content-Length header (name in any case) of the head at {@code start}. */
    private static int contentLength(ByteBuf in, int start, int headLength) {
        int lineStart = start;
        int headEnd = start + headLength;
        while (lineStart < headEnd) {
            int lineEnd = in.indexOf(lineStart, headEnd, (byte) '\n');
            if (lineEnd < 0) {
                break;
            }
            if (startsWithIgnoreCase(in, lineStart, lineEnd, CONTENT_LENGTH)) {
                long v = 0;
                for (int i = lineStart + CONTENT_LENGTH.length; i < lineEnd; i++) {
                    byte b = in.getByte(i);
                    if (b >= '0' && b <= '9') {
                        v = v * 10 + (b - '0');
                        if (v > Integer.MAX_VALUE) {
                            throw new DecoderException("content-length too large");
                        }
                    } else if (b != ' ' && b != '\r') {
                        throw new DecoderException("content-length: not a number");
                    }
                }
                return (int) v;
            }
            lineStart = lineEnd + 1;
        }
        throw new DecoderException("response without content-length");
    }

    private static boolean startsWithIgnoreCase(ByteBuf in, int from, int to, byte[] lowerCasePrefix) {
        if (to - from < lowerCasePrefix.length) {
            return false;
        }
        for (int i = 0; i < lowerCasePrefix.length; i++) {
            int b = in.getByte(from + i);
            if ((b >= 'A' && b <= 'Z' ? b + 32 : b) != lowerCasePrefix[i]) {
                return false;
            }
        }
        return true;
    }
}

import Foundation
import HTTPTypes
import Metrics
import NIOCore
import NIOHTTP1
import NIOHTTPTypes

/// Answers a request whose head is over the node's header limit (`NodeLimits.headerBytes`, which
/// the HTTP/1 decoder enforces) with 431 and the error envelope, then closes the connection:
/// Hummingbird alone would answer a bare 400. The request never reaches the router, so it has no
/// request id and no audit entry; it is counted in `arbor_headers_too_large_total`.
final class HeaderSizeLimitHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    static let body = Data(
        #"{"error":{"code":"headers_too_large","message":"the request's headers are larger than this node accepts"}}"#.utf8)

    /// Requests whose answer is not finished: the 431 is written only between answers, so that it
    /// never lands in the middle of another response (a pipelining client then gets
    /// Hummingbird's 400 after its answers instead).
    private var unanswered = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) { unanswered += 1 }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { unanswered -= 1 }
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError, case .headerOverflow = parserError, unanswered == 0 else {
            context.fireErrorCaught(error)
            return
        }
        Counter(label: "arbor_headers_too_large_total").increment()
        let head = HTTPResponse(
            status: .init(code: 431, reasonPhrase: "Request Header Fields Too Large"),
            headerFields: [.contentType: "application/json", .contentLength: "\(Self.body.count)", .connection: "close"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.write(wrapOutboundOut(.body(ByteBuffer(bytes: Self.body))), promise: nil)
        let channel = context.channel
        context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
    }
}

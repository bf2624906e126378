import ArborCore
import Foundation
import Hummingbird
import HummingbirdCore
import Logging
import NIOCore

/// The listener other nodes of the cluster call (`arbor serve --peer-address`): HTTP/1.1 over
/// `PeerTLS`, so every request comes from a node whose chain verified at the handshake. A
/// swift-service-lifecycle `Service`: run it in the node's `ServiceGroup`.
public enum PeerApplication {
    public static func make(
        tls: PeerTLS,
        host: String,
        port: Int,
        logger: Logger,
        onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) -> some ApplicationProtocol {
        let server = HTTPServerBuilder { responder in
            PeerTLSChannel(base: HTTP1Channel(responder: responder, configuration: .init(idleTimeout: .seconds(300))), tls: tls)
        }
        return Application(
            responder: PeerErrorResponder(wrapped: router(tls: tls).buildResponder()),
            server: server,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(host, channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// `/peer/v1/…`.
    public static func router(tls: PeerTLS) -> Router<PeerRequestContext> {
        let router = Router(context: PeerRequestContext.self)
        router.get("peer/v1/hello") { _, context -> PeerHello in
            PeerHello(peer: try peer(of: context, tls: tls), node: tls.identity)
        }
        return router
    }

    /// The verified peer of the request's channel. Every channel that reaches a route verified
    /// one; a channel closed by a revocation meanwhile has none.
    static func peer(of context: PeerRequestContext, tls: PeerTLS) throws -> PeerIdentity {
        guard let identity = tls.connections.identity(of: context.channel) else {
            throw PeerError(.forbidden, code: "peer_not_verified", "this channel has no verified peer (revoked since its handshake?)")
        }
        return identity
    }
}

/// A failure on the peer listener, answered as `{"error":{"code":…,"message":…}}`.
struct PeerError: Error, HTTPResponseError {
    let status: HTTPResponse.Status
    let code: String
    let message: String

    init(_ status: HTTPResponse.Status, code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    var headers: HTTPFields { [.contentType: "application/json"] }

    func response(from request: Request, context: some RequestContext) throws -> Response {
        let body = try JSONEncoder().encode(["error": ["code": code, "message": message]])
        return Response(status: status, headers: headers, body: .init(byteBuffer: ByteBuffer(bytes: body)))
    }
}

/// Every error in the envelope: the router's bare 404 included, and anything unexpected as a
/// 500 whose detail stays in the log.
struct PeerErrorResponder<Wrapped: HTTPResponder>: HTTPResponder where Wrapped.Context == PeerRequestContext {
    let wrapped: Wrapped

    func respond(to request: Request, context: PeerRequestContext) async throws -> Response {
        do {
            let response = try await wrapped.respond(to: request, context: context)
            if response.status == .notFound, response.body.contentLength == 0 {
                return try PeerError(.notFound, code: "not_found", "no such route (or not with this method)")
                    .response(from: request, context: context)
            }
            return response
        } catch let error as PeerError {
            return try error.response(from: request, context: context)
        } catch let error as HTTPError where error.status == .notFound {
            return try PeerError(.notFound, code: "not_found", "no such route (or not with this method)")
                .response(from: request, context: context)
        } catch {
            context.logger.error("peer request failed", metadata: ["error": "\(error)"])
            return try PeerError(
                .internalServerError, code: "internal_error", "the node failed to handle the request; its log has the detail"
            )
            .response(from: request, context: context)
        }
    }
}

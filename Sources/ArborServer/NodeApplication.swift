import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import UnixSignals

/// The node's HTTP application: the `/v1` router with its features, wrapped so that every error
/// has the JSON envelope. It is a swift-service-lifecycle `Service`: run it in a `ServiceGroup`
/// for graceful shutdown.
public enum NodeApplication {
    public static func make(
        node: Node,
        host: String = "127.0.0.1",
        port: Int = 8200,
        logger: Logger,
        onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) -> some ApplicationProtocol {
        Application(
            responder: responder(for: node),
            server: .http1(configuration: .init(idleTimeout: .seconds(node.limits.idleTimeoutSeconds))),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(host, channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// Runs the application in a `ServiceGroup` until SIGTERM or SIGINT, then shuts down
    /// gracefully: no new connections, the requests under way finish, and this returns.
    public static func runUntilSignalled(_ application: some ApplicationProtocol, logger: Logger) async throws {
        let group = ServiceGroup(
            configuration: .init(services: [application], gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }

    static func responder(for node: Node) -> AccessLogResponder<ErrorEnvelopeResponder<RouterResponder<NodeRequestContext>>> {
        let router = Router(context: NodeRequestContext.self)
        let v1 = router.group("v1")
        for routes in node.openRoutes { routes.register(on: v1) }
        let authenticated = v1.group().add(middleware: TokenAuthenticator(tokens: node.tokens))
        for routes in node.tokenRoutes { routes.register(on: authenticated) }
        return AccessLogResponder(wrapped: ErrorEnvelopeResponder(wrapped: router.buildResponder()))
    }
}

import ArborCore
import Foundation
import Hummingbird
import HummingbirdCore
import HummingbirdTLS
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
        tls: NodeTLS? = nil,
        logger: Logger,
        onRunning: @escaping @Sendable (_ host: String, _ port: Int) async -> Void = { _, _ in }
    ) throws -> some ApplicationProtocol {
        Application(
            responder: responder(for: node),
            server: try NodeApplication.server(tls: tls, limits: node.limits),
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { channel in await onRunning(host, channel.localAddress?.port ?? port) },
            logger: logger
        )
    }

    /// Runs the application in a `ServiceGroup` until SIGTERM or SIGINT, then shuts down
    /// gracefully: no new connections, the requests under way finish, and this returns.
    /// With an audit log, a service signs its head every `auditHeadInterval` and, once the
    /// application has finished its requests, a last time at shutdown. `services` (the cluster
    /// membership, the peer listener of `arbor serve --peer-address`) run beside the application
    /// and are asked to stop before it.
    public static func runUntilSignalled(
        _ application: some ApplicationProtocol, node: Node, services extra: [any Service] = [],
        dependencies: [any Service] = [], auditHeadInterval: Duration = .seconds(10), logger: Logger
    ) async throws {
        // Services stop in reverse order: the head service, listed first, stops after the server;
        // so do `dependencies` (a database pool), which requests under way still need.
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = dependencies.map { .init(service: $0) }
        if let audit = node.audit {
            services.append(.init(service: AuditHeadService(audit: audit, clock: node.clock, interval: auditHeadInterval, logger: logger)))
        }
        services.append(.init(service: application))
        services += extra.map { .init(service: $0) }
        // A new key for the node stops the group as a signal would; the caller starts it again on the key.
        if let replacement = node.keyReplacement {
            services.append(.init(service: replacement, successTerminationBehavior: .gracefullyShutdownGroup))
        }
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        do {
            try await group.run()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            // The usual first-run mistake: say what to do rather than show NIO's bind error.
            throw ArborError(
                .ioFailure, "the address to listen on is already in use (another node or server?): stop it, or choose another with --listen"
            )
        }
    }

    /// HTTP/1.1 with an idle timeout (a connection silent that long is closed, also mid-upload)
    /// and a header limit (431), over TLS when configured.
    static func server(tls: NodeTLS?, limits: NodeLimits) throws -> HTTPServerBuilder {
        let decoder = HTTP1Channel.Configuration.DecoderConfiguration(
            maxHeaderFieldSize: limits.headerBytes, maxHeaderListSize: limits.headerBytes)
        let http = HTTPServerBuilder.http1(
            configuration: .init(
                additionalChannelHandlers: [HeaderSizeLimitHandler(), ExpectContinueHandler()],
                idleTimeout: .seconds(limits.idleTimeoutSeconds),
                httpDecoderConfiguration: decoder))
        return try tls.map { try .tls(http, tlsConfiguration: $0.configuration) } ?? http
    }

    /// Every route of the node under `/v1`: the open ones, then those behind a token.
    public static func router(for node: Node) -> Router<NodeRequestContext> {
        let router = Router(context: NodeRequestContext.self)
        // Requests, durations and errors per route, into the process's metrics backend.
        router.add(middleware: MetricsMiddleware())
        let v1 = router.group("v1")
        let open = v1.group().add(middleware: OpenRouteRateLimit(rateLimits: node.rateLimits))
        for routes in node.openRoutes { routes.register(on: open) }
        // End-to-end encryption: its own sessions (not node tokens), the open routes' rate limit.
        let e2ee = v1.group("e2ee").add(middleware: OpenRouteRateLimit(rateLimits: node.rateLimits)).add(middleware: E2EEErrorMiddleware())
        for routes in node.e2eeRoutes { routes.register(on: e2ee) }
        let authenticator = TokenAuthenticator(tokens: node.tokens, rateLimits: node.rateLimits)
        let authenticated = v1.group().add(middleware: authenticator)
        for routes in node.tokenRoutes { routes.register(on: authenticated) }
        // Transit's errors, the token check's included, take Vault's shape: its error middleware
        // wraps its own authenticator.
        let transit = v1.group("transit").add(middleware: TransitErrorMiddleware()).add(middleware: authenticator)
        node.transitRoutes.register(on: transit)
        return router
    }

    static func responder(
        for node: Node
    ) -> AccessLogResponder<AuditResponder<ErrorEnvelopeResponder<RouterResponder<NodeRequestContext>>>> {
        let router = router(for: node)
        // The browser client's files (docs/e2ee.md §18): a web page beside the API, not part of it.
        AppRoutes(rateLimits: node.rateLimits).register(on: router.group("app"))
        return AccessLogResponder(
            wrapped: AuditResponder(wrapped: ErrorEnvelopeResponder(wrapped: router.buildResponder()), audit: node.audit, clock: node.clock)
        )
    }
}

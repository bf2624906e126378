import Hummingbird
import Prometheus

/// `GET /v1/sys/metrics`: the node's metrics in the Prometheus text format (requests, latencies
/// and errors per route from Hummingbird's `MetricsMiddleware`; authentication failures, denials
/// and operations per keyring from the token service). Needs the `metrics` operation, as Vault's
/// `sys/metrics` needs a token.
struct MetricsRoutes: NodeRoutes {
    let tokens: TokenService
    let registry: PrometheusCollectorRegistry

    func register(on group: RouterGroup<NodeRequestContext>) {
        group.get("sys/metrics") { _, context -> Response in
            try tokens.authorize(try context.requireToken(), .metrics, keyring: nil, logger: context.logger)
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4"],
                body: .init(byteBuffer: ByteBuffer(bytes: registry.emitToBuffer())))
        }
    }
}

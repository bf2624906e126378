import ArborCore
import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Prometheus
import Testing

/// `GET /v1/sys/metrics`: Prometheus text with the node's own counters, behind the `metrics`
/// operation.
@Suite("Node metrics")
struct MetricsTests {
    @Test("operations per keyring, authentication failures and denials are exported; the route needs `metrics`")
    func exported() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-metrics-test-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let directory = try NodeDataDirectory.development(at: path, now: 1_800_000_000)
        let registry = PrometheusCollectorRegistry()
        let node = Node(
            database: try NodeDatabase(path: directory.databasePath, node: directory.keys), owner: directory.secret,
            metrics: PrometheusMetricsFactory(registry: registry), metricsRegistry: registry)
        let root = try await node.tokens.createRoot().reveal()
        let logger = Logger(label: "arbor.metrics-test") { JSONLogHandler(label: $0, level: .critical) { _ in } }
        try await NodeApplication.make(node: node, logger: logger).test(.router) { client in
            #expect(try await client.send(.post, "/v1/keyrings", token: root, json: #"{"name":"payments"}"#).status == .created)
            #expect(try await client.send(.get, "/v1/sys/random/8", token: "arb_wrong").status == .unauthorized)
            let limited = try await client.createToken(root: root, #"{"policies":[{"operations":["random"]}]}"#)
            #expect(try await client.send(.get, "/v1/sys/metrics", token: limited.token).status == .forbidden)
            let response = try await client.send(.get, "/v1/sys/metrics", token: root)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "text/plain; version=0.0.4")
            let text = String(buffer: response.body)
            #expect(text.contains(#"arbor_operations_total{operation="keyring.create",keyring="payments"} 1"#), "\(text)")
            #expect(text.contains(#"arbor_auth_failures_total{reason="unknown"} 1"#), "\(text)")
            #expect(text.contains(#"arbor_auth_denied_total{operation="metrics"} 1"#), "\(text)")
            #expect(!text.contains(root) && !text.contains(limited.token))
        }
    }
}

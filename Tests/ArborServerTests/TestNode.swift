import ArborCore
import ArborOperations
import ArborServer
import ArborTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Logging
import MetricsTestKit
import NIOCore
import Synchronization
import Testing

/// A node on a fresh development data directory, with a clock the test moves and metrics it
/// reads, driven through the real router.
final class TestNode: Sendable {
    let directory: NodeDataDirectory
    let database: NodeDatabase
    let node: Node
    let metrics = TestMetrics()
    let logLines = Locked<[String]>([])
    private let time = Locked<Int64>(1_800_000_000)
    let rootToken: String

    init(
        limits: NodeLimits = NodeLimits(), cluster: (any ClusterViewSource)? = nil, keyReplacement: NodeKeyReplacement? = nil,
        e2ee: E2EEStoreKind? = nil
    ) async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-server-test-\(UUID().uuidString)").path
        directory = try NodeDataDirectory.development(at: path, now: 1_800_000_000)
        database = try NodeDatabase(path: directory.databasePath, node: directory.keys)
        let time = self.time
        let e2eeStore = try await e2ee?.make(in: directory.path)
        node = Node(
            database: database, owner: directory.secret, limits: limits, clock: NodeClock { time.withLock { $0 } }, metrics: metrics,
            identity: try directory.signingIdentity, cluster: cluster, keyReplacement: keyReplacement, e2eeStore: e2eeStore)
        rootToken = try await node.tokens.createRoot().reveal()
    }

    deinit { try? FileManager.default.removeItem(atPath: directory.path) }

    func advance(seconds: Int64) { time.withLock { $0 += seconds } }

    /// Every log line the node wrote, as JSON text.
    var logger: Logger {
        let lines = logLines
        return Logger(label: "arbor.test") { label in
            JSONLogHandler(label: label, level: .trace) { line in lines.withLock { $0.append(line) } }
        }
    }

    func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
        try await NodeApplication.make(node: node, logger: logger).test(.router, body)
    }

    func counter(_ label: String, _ dimensions: [(String, String)]) -> Int64 {
        (try? metrics.expectCounter(label, dimensions).totalValue) ?? 0
    }
}

/// A value shared with the node's closures (clock, log sink).
final class Locked<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>

    init(_ value: Value) { mutex = Mutex(value) }

    func withLock<Result>(_ body: (inout Value) -> Result) -> Result { mutex.withLock { body(&$0) } }
}

extension TestClientProtocol {
    func send(
        _ method: HTTPRequest.Method, _ uri: String, token: String? = nil, header: HTTPField.Name = HTTPField.Name("X-Arbor-Token")!,
        json: String? = nil
    ) async throws -> TestResponse {
        var headers: HTTPFields = [:]
        if let token { headers[header] = token }
        if json != nil { headers[.contentType] = "application/json" }
        return try await execute(uri: uri, method: method, headers: headers, body: json.map { ByteBuffer(string: $0) })
    }

    /// Creates a token with `root` and returns it with its accessor.
    func createToken(root: String, _ json: String) async throws -> (token: String, accessor: String) {
        let response = try await send(.post, "/v1/auth/token/create", token: root, json: json)
        try #require(response.status == .created, "\(String(buffer: response.body))")
        let created = try JSONDecoder().decode(CreatedToken.self, from: Data(response.body.readableBytesView))
        return (created.token, created.info.accessor)
    }
}

extension TestResponse {
    /// The error envelope's code; fails the test if the body is not the envelope.
    func errorCode() throws -> String {
        try JSONDecoder().decode(ErrorBody.self, from: Data(body.readableBytesView)).error.code
    }

    func json() throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(body.readableBytesView)) as? [String: Any])
    }
}

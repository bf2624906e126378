import ArborCore
import ArborKeyStore
import ArborServer
import Foundation
import HTTPTypes
import HummingbirdTesting
import Logging
import NIOCore
import Testing

/// The node's audit log through the real router: one entry per request with what it did and how
/// it ended, masked accessors and no token, a chain that verifies, and a request that fails with
/// 503 when its entry cannot be written.
@Suite("Node audit log")
struct AuditTests {
    /// A development node whose audit entries go to `sink` (a real log file when nil).
    struct AuditedNode {
        let directory: NodeDataDirectory
        let node: Node
        let rootToken: String
        let logPath: String

        init(sink: (any AuditSink)? = nil, limits: NodeLimits = NodeLimits()) async throws {
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-audit-test-\(UUID().uuidString)").path
            directory = try NodeDataDirectory.development(at: path, now: 1_800_000_000)
            logPath = directory.auditLogPath
            let audit = NodeAudit(sink: try sink ?? AuditLogFile(path: logPath, signer: directory.keys), node: directory.keys)
            node = Node(
                database: try NodeDatabase(path: directory.databasePath, node: directory.keys), owner: directory.secret, limits: limits,
                clock: NodeClock(now: { 1_800_000_000 }, milliseconds: { 1_800_000_000_123 }), audit: audit,
                identity: try directory.signingIdentity)
            rootToken = try await node.tokens.createRoot().reveal()
        }

        func test<Value: Sendable>(_ body: @Sendable (any TestClientProtocol) async throws -> Value) async throws -> Value {
            // A handler that keeps metadata: Hummingbird reads the request id from it.
            let logger = Logger(label: "arbor.audit-test") { JSONLogHandler(label: $0, level: .critical) { _ in } }
            return try await NodeApplication.make(node: node, logger: logger).test(.router, body)
        }

        func lines() throws -> [String] { try String(contentsOfFile: logPath, encoding: .utf8).split(separator: "\n").map(String.init) }

        func remove() { try? FileManager.default.removeItem(atPath: directory.path) }
    }

    struct FailingSink: AuditSink {
        func append(
            time: Int64, requestID: String, accessor: String, operation: String, keyring: String, result: String, client: String
        ) async throws -> AuditEntry {
            throw ArborError(.ioFailure, "disk full")
        }
        func signHead(time: Int64) async throws -> AuditHead? { throw ArborError(.ioFailure, "disk full") }
        var lastHead: AuditHead? { nil }
    }

    @Test("each request leaves one entry: operation, masked accessor, result; denied and failed requests too; never the token")
    func entries() async throws {
        let audited = try await AuditedNode()
        defer { audited.remove() }
        let root = audited.rootToken
        let child = try await audited.test { client in
            #expect(try await client.send(.get, "/v1/sys/health").status == .ok)  // not audited
            #expect(try await client.send(.get, "/v1/sys/random/16", token: root).status == .ok)
            #expect(try await client.send(.get, "/v1/sys/random/16", token: "arb_wrong").status == .unauthorized)
            let child = try await client.createToken(root: root, #"{"policies":[{"operations":["encrypt"],"keyrings":["pay*"]}]}"#)
            #expect(try await client.send(.get, "/v1/sys/random/16", token: child.token).status == .forbidden)
            #expect(try await client.send(.get, "/v1/no/such/route", token: root).status == .notFound)
            return child
        }
        let lines = try audited.lines()
        let records = try lines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        #expect(records.count == 5, "\(lines)")
        let summary = records.map { "\($0["operation"]!) → \($0["result"]!)" }
        #expect(
            summary == [
                "random → ok", "GET /v1/sys/random/16 → invalid_token", "token.create → ok", "random → permission_denied",
                "GET /v1/no/such/route → not_found",
            ], "\(summary)")
        let mask = AuditMask(node: audited.directory.keys)
        #expect(records[3]["accessor"] as? String == mask.mask(child.accessor))
        #expect(records[1]["accessor"] as? String == "")
        #expect(records.allSatisfy { ($0["time"] as? Int) == 1_800_000_000_123 && ($0["request_id"] as? String)?.isEmpty == false })
        // Neither token nor accessor appears in clear.
        let text = lines.joined(separator: "\n")
        #expect(!text.contains(root) && !text.contains(child.token) && !text.contains(child.accessor))
        // The chain verifies with the node's keys.
        let report = try AuditChainVerifier(signer: audited.directory.keys.publicKeys).verify(lines: lines)
        #expect(report.entries == 5 && report.unsignedEntries == 5)
    }

    @Test("when the audit entry cannot be written, the request fails with 503 audit_unavailable")
    func failingLog() async throws {
        let audited = try await AuditedNode(sink: FailingSink())
        defer { audited.remove() }
        let root = audited.rootToken
        try await audited.test { client in
            let response = try await client.send(.get, "/v1/sys/random/16", token: root)
            #expect(response.status == .serviceUnavailable)
            #expect(try response.errorCode() == "audit_unavailable")
            #expect(!String(buffer: response.body).contains("random"))
            // Health stays answerable, so an operator can see the node is up.
            #expect(try await client.send(.get, "/v1/sys/health").status == .ok)
        }
    }
}

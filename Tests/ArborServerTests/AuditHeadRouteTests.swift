import ArborCore
import Foundation
import HTTPTypes
import HummingbirdTesting
import NIOCore
import Testing

@testable import ArborServer

/// `GET /v1/sys/audit/head` through the real router: the latest signed head, byte for byte the
/// line the log holds, which then catches a log cut back past it.
@Suite("audit head route")
struct AuditHeadRouteTests {
    @Test("404 before the first head; then the log's head line, which verifies the log and catches its truncation")
    func head() async throws {
        let audited = try await AuditTests.AuditedNode()
        defer { audited.remove() }
        let root = audited.rootToken
        let sink = try #require(audited.node.audit?.sink)
        let none = try await audited.test { client in try await client.send(.get, "/v1/sys/audit/head", token: root) }
        #expect(try none.status == .notFound && none.errorCode() == "not_found")
        try await sink.signHead(time: 1_800_000_000_500)
        let published = try await audited.test { client in
            let response = try await client.send(.get, "/v1/sys/audit/head", token: root)
            #expect(response.status == .ok)
            #expect(response.headers[.contentType] == "application/json")
            return String(buffer: response.body)
        }
        let lines = try audited.lines()
        // Entry 1 (the refused request), its head, entry 2 (this request).
        #expect(lines.count == 3)
        #expect(published == lines[1] + "\n")
        guard case .head(let head) = try AuditRecord(line: published.trimmingCharacters(in: .newlines)) else {
            Issue.record("not a head line: \(published)")
            return
        }
        #expect(head.sequence == 1)
        let verifier = AuditChainVerifier(signer: audited.directory.keys.publicKeys)
        #expect(try verifier.verify(lines: lines, expectedHead: head).entries == 2)
        #expect(throws: ArborError(.authenticationFailed, "")) { try verifier.verify(lines: [String](), expectedHead: head) }
    }

    @Test("missing token 401, a token without audit.read 403, with it 200")
    func refusals() async throws {
        let audited = try await AuditTests.AuditedNode()
        defer { audited.remove() }
        let missing = try await audited.test { client in try await client.send(.get, "/v1/sys/audit/head") }
        #expect(try missing.status == .unauthorized && missing.errorCode() == "missing_token")
        try await audited.node.audit?.sink.signHead(time: 1)
        try await audited.test { client in
            let random = try await client.createToken(root: audited.rootToken, #"{"policies":[{"operations":["random","metrics"]}]}"#)
            let denied = try await client.send(.get, "/v1/sys/audit/head", token: random.token)
            #expect(try denied.status == .forbidden && denied.errorCode() == "permission_denied")
            let reader = try await client.createToken(root: audited.rootToken, #"{"policies":[{"operations":["audit.read"]}]}"#)
            #expect(try await client.send(.get, "/v1/sys/audit/head", token: reader.token).status == .ok)
        }
    }

    @Test("a node without an audit log answers 404")
    func noAuditLog() async throws {
        let node = try await TestNode()
        let response = try await node.test { client in try await client.send(.get, "/v1/sys/audit/head", token: node.rootToken) }
        #expect(response.status == .notFound)
    }
}

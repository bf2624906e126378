import ArborCore
import ArborOperations
import ArborTestSupport
import Crypto
import Foundation
import HTTPTypes
import HummingbirdTesting
import Metrics
import Testing

@testable import ArborE2EE
@testable import ArborServer

/// What the node must never hold or let through: the store's files after a conversation hold no
/// plaintext, key or session token; failed sign-ins are limited per account as well as per address.
@Suite("E2EE secrecy and limits", .postgresServer)
struct E2EESecrecyTests {
    @Test(
        "after sign-in, a conversation and a stream, the database (e2ee.sqlite and its WAL; pg_dump) holds no plaintext, epoch or stream key, login key or token",
        arguments: E2EEStoreKind.available)
    func nothingSecretStored(kind: E2EEStoreKind) async throws {
        let node = try await TestNode(e2ee: kind)
        let alice = try E2EETestAccount("alice")
        let conversation = try E2EETestConversation(creator: alice)
        let plaintext = "the secret plaintext of this test"
        let streamKey = StreamKey.random()
        let stream = try conversation.message(from: alice, kind: .stream, sequence: 2, plaintext: streamKey.plaintext)
        var writer = try StreamWriter(message: stream, streamKey: streamKey)
        let piece = "a streamed secret piece"
        let chunk = try writer.seal(Array(piece.utf8), isFinal: true)
        let session = try await node.test { client in
            try await client.signUp(alice)
            let session = try await client.signIn(alice)
            let create = conversation.createJSON(envelopes: [try conversation.envelope(for: alice)])
            try #require(try await client.e2ee(.post, "conversations", session: session, json: create).status == .created)
            let text = try conversation.message(from: alice, text: plaintext)
            try #require(try await client.post(text, to: conversation.id, session: session).status == .created)
            try #require(try await client.post(stream, to: conversation.id, session: session).status == .created)
            let path = "conversations/\(conversation.id.hex)/streams/\(stream.header.id.hex)/chunks/0"
            let put = try await client.e2ee(.put, path, session: session, json: json(["chunk": Base64URL.encode(chunk), "final": true]))
            try #require(put.status == .noContent)
            return session
        }
        var scanner = LeakScanner()
        scanner.add("plaintext", bytes: Array(plaintext.utf8))
        scanner.add("streamed piece", bytes: Array(piece.utf8))
        scanner.add("epoch key", bytes: conversation.key.key.withUnsafeBytes { Array($0) })
        scanner.add("stream key", bytes: streamKey.plaintext)
        scanner.add("login private key", bytes: Array(alice.login.rawRepresentation))
        scanner.add("session token", bytes: try #require(Base64URL.decode(session.utf8)))
        scanner.add("session token text", bytes: Array(session.utf8), forms: [.raw])
        var findings: [LeakScanner.Finding] = []
        if let dumped = try node.e2eeStore?.dump() {
            #expect(dumped.count > 1000, "pg_dump gave \(dumped.count) bytes")
            // The dump holds the ciphertext: the message's bytes, as hex, are in it.
            let stored = try #require(try await node.e2eeStore?.store.messages(in: conversation.id, after: 0, limit: 1).first)
            #expect(String(decoding: dumped, as: UTF8.self).contains(Hex.encode(stored.bytes)))
            findings += scanner.scan(dumped, file: "pg_dump")
        }
        for suffix in ["", "-wal", "-shm"] {
            let path = node.directory.path + "/" + SQLiteE2EEStore.fileName + suffix
            guard let data = FileManager.default.contents(atPath: path) else { continue }
            findings += scanner.scan([UInt8](data), file: SQLiteE2EEStore.fileName + suffix)
        }
        #expect(findings.isEmpty, "\(findings)")
    }

    @Test("failed sign-ins to one account are limited even from many addresses; another account is not")
    func perAccountLimit() throws {
        var limits = NodeLimits()
        limits.failedAuthenticationRate = RateLimit(perSecond: 1, burst: 3)
        let clock = NodeClock(now: { 1_800_000_000 }, milliseconds: { 1_800_000_000_000 })
        let rates = NodeRateLimits(limits: limits, clock: clock, metrics: MetricsSystem.factory)
        for address in 1...3 { try rates.reserveSignIn(account: "alice", client: "10.0.0.\(address)") }
        #expect(throws: NodeError.self) { try rates.reserveSignIn(account: "alice", client: "10.0.0.4") }
        try rates.reserveSignIn(account: "bob", client: "10.0.0.5")
        // A sign-in that succeeds gives its attempts back.
        for _ in 0..<10 {
            try rates.reserveSignIn(account: "carol", client: "10.0.0.6")
            rates.signInSucceeded(account: "carol", client: "10.0.0.6")
        }
    }
}

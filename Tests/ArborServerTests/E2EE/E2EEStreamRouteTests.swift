import ArborCore
import ArborE2EE
import ArborOperations
import ArborTestSupport
import Foundation
import HTTPTypes
import HummingbirdTesting
import Testing

@testable import ArborServer

/// Token streams under `/v1/e2ee`: chunks in order by the sender, the seal, and the reader's
/// Server-Sent Events, resumed and live, against every store kind.
@Suite("E2EE stream routes")
struct E2EEStreamRouteTests {
    /// Alice and Bob in a conversation, Carol outside it, and a stream message by Alice.
    struct Setting {
        let node: TestNode
        let conversation: E2EETestConversation
        let sessions: [String]
        let message: SealedMessage
        var writer: StreamWriter
        var base: String { "conversations/\(conversation.id.hex)/streams/\(message.header.id.hex)" }
    }

    static func setting(_ kind: E2EEStoreKind, limits: NodeLimits = NodeLimits()) async throws -> Setting {
        let node = try await TestNode(limits: limits, e2ee: kind)
        let alice = try E2EETestAccount("alice")
        let bob = try E2EETestAccount("bob")
        let carol = try E2EETestAccount("carol")
        let conversation = try E2EETestConversation(creator: alice)
        let streamKey = StreamKey.random()
        let message = try conversation.message(from: alice, kind: .stream, plaintext: streamKey.plaintext)
        let sessions = try await node.test { client in
            let sessions = try await E2EEConversationRouteTests.sessions(client, alice, bob, carol)
            let create = conversation.createJSON(envelopes: [try conversation.envelope(for: alice), try conversation.envelope(for: bob)])
            try #require(try await client.e2ee(.post, "conversations", session: sessions[0], json: create).status == .created)
            try #require(try await client.post(message, to: conversation.id, session: sessions[0]).status == .created)
            return sessions
        }
        return Setting(
            node: node, conversation: conversation, sessions: sessions, message: message,
            writer: try StreamWriter(message: message, streamKey: streamKey))
    }

    static func chunk(_ bytes: [UInt8], final: Bool) -> String { json(["chunk": Base64URL.encode(bytes), "final": final]) }

    /// The events of a stream body: (event, id, data).
    static func events(_ text: String) -> [(event: String, id: String?, data: String)] {
        text.components(separatedBy: "\n\n").compactMap { block in
            var event: String?
            var id: String?
            var data = ""
            for line in block.split(separator: "\n") {
                if line.hasPrefix("event: ") { event = String(line.dropFirst(7)) }
                if line.hasPrefix("id: ") { id = String(line.dropFirst(4)) }
                if line.hasPrefix("data: ") { data = String(line.dropFirst(6)) }
            }
            return event.map { ($0, id, data) }
        }
    }

    @Test(
        "chunks in order by the sender, then the seal; the reader gets them all as events and they open", arguments: E2EEStoreKind.available
    )
    func writeAndRead(kind: E2EEStoreKind) async throws {
        var setting = try await Self.setting(kind)
        let pieces = [Array("Hello".utf8), Array(", world".utf8), []]
        let chunks = try pieces.enumerated().map { index, piece in try setting.writer.seal(piece, isFinal: index == pieces.count - 1) }
        let seal = try setting.writer.seal(with: setting.conversation.creator.identity)
        let base = setting.base
        let s = setting.sessions
        let body = try await setting.node.test { client in
            for (index, chunk) in chunks.enumerated() {
                let put = try await client.e2ee(.put, base + "/chunks/\(index)", session: s[0], json: Self.chunk(chunk, final: index == 2))
                #expect(put.status == .noContent, "\(put.text)")
            }
            #expect(
                try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(seal)])).status
                    == .noContent)
            let read = try await client.e2ee(.get, base, session: s[1])
            #expect(read.status == .ok)
            #expect(read.headers[.contentType] == "text/event-stream")
            return read.text
        }
        let events = Self.events(body)
        #expect(events.map(\.event) == ["chunk", "chunk", "chunk", "seal"])
        #expect(events.map(\.id) == ["0", "1", "2", nil])
        var reader = try StreamReader(message: setting.message, opened: try setting.message.open(epochKey: setting.conversation.key))
        var text: [UInt8] = []
        for (index, event) in events.prefix(3).enumerated() {
            let data = try #require(try JSONSerialization.jsonObject(with: Data(event.data.utf8)) as? [String: Any])
            let chunk = try decodedBytes(data["chunk"])
            text += try reader.open(chunk, index: UInt64(index), isFinal: try #require(data["final"] as? Bool))
        }
        #expect(text == Array("Hello, world".utf8))
        let sealData = try #require(try JSONSerialization.jsonObject(with: Data(events[3].data.utf8)) as? [String: String])
        try reader.verifySeal(
            try decodedBytes(sealData["seal"]),
            senderKeys: setting.conversation.creator.identity.publicKeys)
    }

    @Test(
        "refused: a chunk out of order, twice, after the final one, by another member, of the wrong size; the seal early or twice",
        arguments: E2EEStoreKind.available)
    func writeRefusals(kind: E2EEStoreKind) async throws {
        var setting = try await Self.setting(kind)
        let first = try setting.writer.seal(Array("a".utf8), isFinal: false)
        let last = try setting.writer.seal([], isFinal: true)
        let seal = try setting.writer.seal(with: setting.conversation.creator.identity)
        let base = setting.base
        let s = setting.sessions
        let conversation = setting.conversation
        try await setting.node.test { client in
            func put(_ index: Int, _ bytes: [UInt8], final: Bool, session: String? = nil) async throws -> TestResponse {
                try await client.e2ee(.put, base + "/chunks/\(index)", session: session ?? s[0], json: Self.chunk(bytes, final: final))
            }
            #expect(try await put(1, first, final: false).status == .conflict)
            #expect(try await put(0, first, final: false, session: s[1]).status == .forbidden)
            #expect(try await put(0, first, final: false, session: s[2]).status == .forbidden)
            #expect(try await put(0, Array(randomBytes(15)), final: false).status == .unprocessableContent)
            #expect(try await put(0, Array(randomBytes(65_536 + 17)), final: false).status == .unprocessableContent)
            let early = try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(seal)]))
            #expect(early.status == .conflict)
            #expect(try await put(0, first, final: false).status == .noContent)
            #expect(try await put(0, first, final: false).status == .conflict)
            #expect(try await put(1, last, final: true).status == .noContent)
            #expect(try await put(2, last, final: true).status == .conflict)
            #expect(try await put(2, last, final: false).status == .conflict)
            #expect(
                try await client.e2ee(.put, base + "/seal", session: s[1], json: json(["seal": Base64URL.encode(seal)])).status
                    == .forbidden)
            #expect(
                try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(seal.dropLast())])).status
                    == .unprocessableContent)
            // A seal that does not verify over the stored chunks (one byte changed) is refused.
            var forged = seal
            forged[10] ^= 0x01
            let refused = try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(forged)]))
            #expect(refused.status == .badRequest)
            #expect(try refused.errorCode() == "authentication_failed")
            #expect(
                try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(seal)])).status
                    == .noContent)
            #expect(
                try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(seal)])).status == .conflict
            )
            // A text message is no stream; Carol reads nothing.
            let text = try conversation.message(from: conversation.creator, sequence: 2)
            #expect(try await client.post(text, to: conversation.id, session: s[0]).status == .created)
            let notStream = "conversations/\(conversation.id.hex)/streams/\(text.header.id.hex)"
            #expect(
                try await client.e2ee(.put, notStream + "/chunks/0", session: s[0], json: Self.chunk(first, final: false)).status
                    == .conflict)
            #expect(try await client.e2ee(.get, base, session: s[2]).status == .forbidden)
            #expect(
                try await client.e2ee(.get, "conversations/\(conversation.id.hex)/streams/\(MessageID.random().hex)", session: s[1])
                    .status == .notFound)
            #expect(
                try await client.e2ee(.get, base, session: s[1], headers: [HTTPField.Name("Last-Event-ID")!: "x"]).status == .badRequest)
        }
    }

    @Test(
        "the reader resumes after Last-Event-ID (or from ?from=), and gets a chunk written after it connected",
        arguments: E2EEStoreKind.available)
    func resumeAndLive(kind: E2EEStoreKind) async throws {
        var setting = try await Self.setting(kind)
        let chunks = try (0..<4).map { index in try setting.writer.seal(Array("piece \(index)".utf8), isFinal: index == 3) }
        let seal = try setting.writer.seal(with: setting.conversation.creator.identity)
        let base = setting.base
        let s = setting.sessions
        let notifier = setting.node.node.e2eeNotifier
        let stream = StreamNotifier.Stream(conversation: setting.conversation.id, message: setting.message.header.id)
        try await setting.node.test { client in
            for index in 0..<2 {
                #expect(
                    try await client.e2ee(.put, base + "/chunks/\(index)", session: s[0], json: Self.chunk(chunks[index], final: false))
                        .status == .noContent)
            }
            // A reader that saw chunk 0 reconnects; it waits for the rest (or, failing, ends at once).
            let answered = Locked(false)
            let resumed = Task {
                defer { answered.withLock { $0 = true } }
                return try await client.e2ee(.get, base, session: s[1], headers: [HTTPField.Name("Last-Event-ID")!: "0"])
            }
            while notifier.waiting(on: stream) == 0, !answered.withLock({ $0 }) { await Task.yield() }
            guard notifier.waiting(on: stream) == 1 else {
                let early = try await resumed.value
                Issue.record("the reader answered before waiting: \(early.status) \(early.text)")
                return
            }
            #expect(
                try await client.e2ee(.put, base + "/chunks/2", session: s[0], json: Self.chunk(chunks[2], final: false)).status
                    == .noContent)
            #expect(
                try await client.e2ee(.put, base + "/chunks/3", session: s[0], json: Self.chunk(chunks[3], final: true)).status
                    == .noContent)
            #expect(
                try await client.e2ee(.put, base + "/seal", session: s[0], json: json(["seal": Base64URL.encode(seal)])).status
                    == .noContent)
            let events = Self.events(try await resumed.value.text)
            #expect(events.map(\.id) == ["1", "2", "3", nil])
            #expect(events.last?.event == "seal")
            #expect(
                events[1].data == json(["chunk": Base64URL.encode(chunks[2]), "final": false]).replacingOccurrences(of: "\\/", with: "/"))

            let from = Self.events(try await client.e2ee(.get, base + "?from=3", session: s[1]).text)
            #expect(from.map(\.id) == ["3", nil])
            #expect(from.first?.data.hasSuffix("\"final\":true}") == true)
        }
    }
}

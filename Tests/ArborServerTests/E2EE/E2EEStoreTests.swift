import ArborCore
import ArborE2EE
import ArborOperations
import ArborTestSupport
import Foundation
import Testing

@testable import ArborServer

/// The store protocol's own rules, on each store directly: what two racing requests must not both
/// win (an epoch opened twice, a chunk appended twice), and what must survive a reopen.
@Suite("E2EE store")
struct E2EEStoreTests {
    static func directory() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-e2ee-store-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    static func envelope(_ epoch: UInt32, _ recipient: AccountID, _ adder: AccountID) -> StoredEnvelope {
        StoredEnvelope(epoch: epoch, recipient: recipient, adder: adder, bytes: randomBytes(8))
    }

    @Test("an epoch is opened once; envelopes go to the newest epoch only; all or nothing", arguments: E2EEStoreKind.available)
    func epochs(kind: E2EEStoreKind) async throws {
        let path = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await kind.make(in: path)
        let (alice, bob, carol) = (AccountID.random(), AccountID.random(), AccountID.random())
        let nonce = randomBytes(16)
        let id = try ConversationID(creator: alice, nonce: nonce)
        try await store.createConversation(
            StoredConversation(id: id, creator: alice, nonce: nonce, createdAt: 1), envelopes: [Self.envelope(0, alice, alice)])
        await #expect(throws: ArborError.self) {
            try await store.createConversation(StoredConversation(id: id, creator: alice, nonce: nonce, createdAt: 1), envelopes: [])
        }
        try await store.addEnvelopes([Self.envelope(1, alice, alice)], to: id, opening: true)
        // Two removals racing: the second opening of epoch 1 loses.
        await #expect(throws: ArborError.self) { try await store.addEnvelopes([Self.envelope(1, bob, alice)], to: id, opening: true) }
        await #expect(throws: ArborError.self) { try await store.addEnvelopes([Self.envelope(0, bob, alice)], to: id, opening: false) }
        // One recipient twice: nothing of the batch is kept.
        await #expect(throws: ArborError.self) {
            try await store.addEnvelopes([Self.envelope(1, carol, alice), Self.envelope(1, alice, alice)], to: id, opening: false)
        }
        try await store.addEnvelopes([Self.envelope(1, bob, alice)], to: id, opening: false)
        let envelopes = try await store.envelopes(in: id)
        #expect(envelopes.map(\.epoch) == [0, 1, 1])
        #expect(envelopes.map(\.recipient) == [alice, alice, bob])
        #expect(try await store.conversations(of: bob) == [id])
        #expect(try await store.conversations(of: carol) == [])
    }

    @Test(
        "messages are numbered in arrival order with unique ids; chunks in order, none after the final; one seal after it",
        arguments: E2EEStoreKind.available)
    func messagesAndChunks(kind: E2EEStoreKind) async throws {
        let path = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await kind.make(in: path)
        let alice = AccountID.random()
        let id = try ConversationID(bytes: randomBytes(16))
        let stream = MessageID.random()
        func message(_ messageID: MessageID) -> StoredMessage {
            StoredMessage(conversation: id, id: messageID, epoch: 0, sender: alice, isStream: true, bytes: [1, 2, 3])
        }
        #expect(try await store.appendMessage(message(stream)) == 1)
        #expect(try await store.appendMessage(message(.random())) == 2)
        await #expect(throws: ArborError.self) { try await store.appendMessage(message(stream)) }
        #expect(try await store.messages(in: id, after: 1, limit: 10).map(\.position) == [2])
        #expect(try await store.message(stream, in: id)?.isStream == true)

        await #expect(throws: ArborError.self) {
            try await store.appendChunk(StoredChunk(index: 1, bytes: [1], isFinal: false), stream: stream, in: id)
        }
        try await store.appendChunk(StoredChunk(index: 0, bytes: [0], isFinal: false), stream: stream, in: id)
        await #expect(throws: ArborError.self) { try await store.sealStream(stream, in: id, seal: [9]) }
        try await store.appendChunk(StoredChunk(index: 1, bytes: [1], isFinal: true), stream: stream, in: id)
        await #expect(throws: ArborError.self) {
            try await store.appendChunk(StoredChunk(index: 2, bytes: [2], isFinal: true), stream: stream, in: id)
        }
        try await store.sealStream(stream, in: id, seal: [9])
        await #expect(throws: ArborError.self) { try await store.sealStream(stream, in: id, seal: [9]) }
        #expect(try await store.streamState(of: stream, in: id) == StreamState(chunkCount: 2, isFinished: true, seal: [9]))
        #expect(try await store.chunks(of: stream, in: id, from: 1).map(\.bytes) == [[1]])
    }

    @Test("sessions expire; sign-out is per account; the decoy secret survives a reopen", arguments: E2EEStoreKind.available)
    func sessionsAndSecret(kind: E2EEStoreKind) async throws {
        let path = try Self.directory()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try await kind.make(in: path)
        let secret = try await store.decoySecret()
        #expect(secret.count == 32)
        #expect(try await store.decoySecret() == secret)
        let device = DeviceID.random()
        let owner = AccountID.random()
        let session = DeviceSession(
            device: device, account: owner, name: "laptop", tokenHash: randomBytes(32), createdAt: 100, expiresAt: 200)
        try await store.createSession(session)
        #expect(try await store.session(tokenHash: session.tokenHash, now: 150) == session)
        #expect(try await store.session(tokenHash: session.tokenHash, now: 200) == nil)
        #expect(try await store.sessions(of: owner, now: 150) == [session])
        #expect(try await store.deleteSession(device: device, of: AccountID.random()) == false)
        #expect(try await store.deleteSession(device: device, of: owner) == true)
        #expect(try await store.sessions(of: owner, now: 150) == [])
        if kind == .sqlite {
            #expect(try await SQLiteE2EEStore(directory: path).decoySecret() == secret)
        }
    }
}

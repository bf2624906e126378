import ArborCore
import ArborE2EE
import ArborOperations
import ArborPostgres
import ArborServer
import ArborTestSupport
import Foundation
import Logging
import Testing

/// The E2EEStore protocol's rules (Sources/ArborOperations/E2EE/E2EEStore.swift), run against
/// every implementation: each test gets a fresh, empty store of each kind.
@Suite("E2EE store contract", .postgresServer)
struct E2EEStoreContractTests {
    /// The implementations under test.
    enum Kind: String, CaseIterable, CustomTestStringConvertible {
        case postgres
        case sqlite

        var testDescription: String { rawValue }

        /// Runs `body` with a fresh, empty store of this kind; when the kind's database is missing,
        /// returns having printed why (or failed, under ARBOR_REQUIRE_PEERS=1).
        func withStore(_ body: (any E2EEStore) async throws -> Void) async throws {
            switch self {
            case .postgres:
                guard let server = PostgresServer.shared(for: "E2EE store contract on PostgreSQL") else { return }
                let logger = Logger(label: "arbor.test.e2ee-store") { _ in SwiftLogNoOpLogHandler() }
                let store = try PostgresE2EEStore(url: server.url(database: try server.createDatabase()), logger: logger)
                try await store.withRunning { try await body($0) }
            case .sqlite:
                let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-e2ee-contract-\(UUID().uuidString)")
                    .path
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                defer { try? FileManager.default.removeItem(atPath: directory) }
                try await body(try SQLiteE2EEStore(directory: directory))
            }
        }
    }

    static let kinds = Kind.allCases

    // MARK: Accounts

    @Test("an account is found by id and by name; a taken id or name is a conflict that stores nothing", arguments: kinds)
    func accounts(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = try StoreFixtures.account("alice", createdAt: 100)
            try await store.createAccount(alice)
            #expect(try await store.account(alice.record.account) == alice)
            #expect(try await store.account(named: "alice") == alice)
            #expect(try await store.account(AccountID.random()) == nil)
            #expect(try await store.account(named: "bob") == nil)

            // The same name under another id, the same id under another name.
            await #expect(throws: ArborError(.conflict, "")) { try await store.createAccount(try StoreFixtures.account("alice")) }
            var sameID = try StoreFixtures.account("bob")
            sameID.record = alice.record
            await #expect(throws: ArborError(.conflict, "")) { try await store.createAccount(sameID) }
            #expect(try await store.account(named: "bob") == nil)
            #expect(try await store.account(alice.record.account) == alice)
        }
    }

    @Test("a password change replaces the password fields and nothing else; an unknown account is not found", arguments: kinds)
    func passwordChange(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = try StoreFixtures.account("alice", createdAt: 100)
            try await store.createAccount(alice)
            let other = try StoreFixtures.template.get()
            let change = PasswordChange(
                password: try PasswordParameters(rounds: PasswordParameters.minimumRounds + 1, salt: Array(repeating: 7, count: 16)),
                loginPublicKey: Array(repeating: 8, count: 32), masterByPassword: other.masterByRecovery)
            try await store.changePassword(of: alice.record.account, to: change)

            let changed = try #require(try await store.account(alice.record.account))
            #expect(changed.record.password == change.password)
            #expect(changed.record.loginPublicKey == change.loginPublicKey)
            #expect(changed.record.masterByPassword == change.masterByPassword)
            #expect(changed.record.masterByRecovery == alice.record.masterByRecovery)
            #expect(changed.record.identity == alice.record.identity)
            #expect(changed.record.identityPublicKeys == alice.record.identityPublicKeys)
            #expect(changed.name == "alice")
            #expect(changed.createdAt == 100)

            await #expect(throws: ArborError(.notFound, "")) { try await store.changePassword(of: AccountID.random(), to: change) }
        }
    }

    @Test("the decoy secret is 32 bytes made once: every call, however many at once, gets the same", arguments: kinds)
    func decoySecret(kind: Kind) async throws {
        try await kind.withStore { store in
            let secrets = try await withThrowingTaskGroup(of: [UInt8].self) { group in
                for _ in 0..<8 { group.addTask { try await store.decoySecret() } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(secrets.count == 8 && Set(secrets).count == 1)
            #expect(secrets[0].count == 32)
            #expect(try await store.decoySecret() == secrets[0])
        }
    }

    // MARK: Sessions

    @Test("a session is found by its token hash until it expires; sign-out deletes only the account's own", arguments: kinds)
    func sessions(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = try StoreFixtures.account("alice")
            let bob = try StoreFixtures.account("bob")
            try await store.createAccount(alice)
            try await store.createAccount(bob)
            let now: Int64 = 1_000_000
            let laptop = StoreFixtures.session(of: alice, createdAt: now - 10, expiresAt: now + 3600)
            let phone = StoreFixtures.session(of: alice, createdAt: now - 5, expiresAt: now + 7200)
            let expired = StoreFixtures.session(of: alice, createdAt: now - 7200, expiresAt: now - 1)
            let bobs = StoreFixtures.session(of: bob, createdAt: now, expiresAt: now + 3600)
            for session in [laptop, phone, expired, bobs] { try await store.createSession(session) }

            #expect(try await store.session(tokenHash: laptop.tokenHash, now: now) == laptop)
            #expect(try await store.session(tokenHash: expired.tokenHash, now: now) == nil)
            #expect(try await store.session(tokenHash: StoreFixtures.bytes(32), now: now) == nil)
            #expect(try await store.session(tokenHash: laptop.tokenHash, now: laptop.expiresAt + 1) == nil)
            #expect(Set(try await store.sessions(of: alice.record.account, now: now).map(\.device)) == [laptop.device, phone.device])
            #expect(try await store.sessions(of: bob.record.account, now: now) == [bobs])

            // Bob cannot sign out Alice's device; Alice can, once.
            #expect(try await store.deleteSession(device: laptop.device, of: bob.record.account) == false)
            #expect(try await store.session(tokenHash: laptop.tokenHash, now: now) == laptop)
            #expect(try await store.deleteSession(device: laptop.device, of: alice.record.account))
            #expect(try await store.deleteSession(device: laptop.device, of: alice.record.account) == false)
            #expect(try await store.session(tokenHash: laptop.tokenHash, now: now) == nil)
            #expect(try await store.sessions(of: alice.record.account, now: now) == [phone])
        }
    }

    // MARK: Conversations and envelopes

    @Test("a conversation is stored with its epoch-0 envelopes; a taken id is a conflict that adds nothing", arguments: kinds)
    func conversations(kind: Kind) async throws {
        try await kind.withStore { store in
            let (alice, bob, carol) = (AccountID.random(), AccountID.random(), AccountID.random())
            let conversation = try StoreFixtures.conversation(by: alice, createdAt: 100)
            let envelopes = [StoreFixtures.envelope(0, to: alice, by: alice), StoreFixtures.envelope(0, to: bob, by: alice)]
            try await store.createConversation(conversation, envelopes: envelopes)
            #expect(try await store.conversation(conversation.id) == conversation)
            #expect(try await store.envelopes(in: conversation.id) == envelopes)

            var again = conversation
            again.createdAt = 200
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.createConversation(again, envelopes: [StoreFixtures.envelope(0, to: carol, by: alice)])
            }
            #expect(try await store.conversation(conversation.id) == conversation)
            #expect(try await store.envelopes(in: conversation.id) == envelopes)
            #expect(try await store.conversations(of: carol) == [])

            let unknown = try StoreFixtures.conversation(by: alice)
            #expect(try await store.conversation(unknown.id) == nil)
            #expect(try await store.envelopes(in: unknown.id) == [])
        }
    }

    @Test("two epoch-0 envelopes for one recipient refuse the whole conversation", arguments: kinds)
    func conversationAllOrNothing(kind: Kind) async throws {
        try await kind.withStore { store in
            let (alice, bob) = (AccountID.random(), AccountID.random())
            let conversation = try StoreFixtures.conversation(by: alice)
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.createConversation(
                    conversation,
                    envelopes: [
                        StoreFixtures.envelope(0, to: alice, by: alice), StoreFixtures.envelope(0, to: bob, by: alice),
                        StoreFixtures.envelope(0, to: bob, by: alice),
                    ])
            }
            #expect(try await store.conversation(conversation.id) == nil)
            #expect(try await store.envelopes(in: conversation.id) == [])
            #expect(try await store.conversations(of: alice) == [])
        }
    }

    @Test("an account's conversations are those it holds an envelope in, oldest first", arguments: kinds)
    func conversationsOfAccount(kind: Kind) async throws {
        try await kind.withStore { store in
            let (alice, bob, carol) = (AccountID.random(), AccountID.random(), AccountID.random())
            // Stored out of the order of their creation times (nodes sharing a database, their clocks apart).
            let newest = try StoreFixtures.conversation(by: alice, createdAt: 300)
            let oldest = try StoreFixtures.conversation(by: bob, createdAt: 100)
            let middle = try StoreFixtures.conversation(by: alice, createdAt: 200)
            try await store.createConversation(newest, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
            try await store.createConversation(
                oldest, envelopes: [StoreFixtures.envelope(0, to: bob, by: bob), StoreFixtures.envelope(0, to: alice, by: bob)])
            try await store.createConversation(middle, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])

            #expect(try await store.conversations(of: alice) == [oldest.id, middle.id, newest.id])
            #expect(try await store.conversations(of: bob) == [oldest.id])
            #expect(try await store.conversations(of: carol) == [])
            // An envelope of a later epoch counts too; the order stays the conversations' own.
            try await store.addEnvelopes([StoreFixtures.envelope(0, to: carol, by: alice)], to: newest.id, opening: false)
            try await store.addEnvelopes(
                [StoreFixtures.envelope(1, to: alice, by: alice), StoreFixtures.envelope(1, to: carol, by: alice)], to: middle.id,
                opening: true)
            #expect(try await store.conversations(of: carol) == [middle.id, newest.id])
        }
    }

    @Test("envelopes go to the newest epoch, or open the next one once; anything else is a conflict that adds nothing", arguments: kinds)
    func addEnvelopes(kind: Kind) async throws {
        try await kind.withStore { store in
            let (alice, bob, carol, dave) = (AccountID.random(), AccountID.random(), AccountID.random(), AccountID.random())
            let conversation = try StoreFixtures.conversation(by: alice)
            let id = conversation.id
            let first = [StoreFixtures.envelope(0, to: alice, by: alice), StoreFixtures.envelope(0, to: bob, by: alice)]
            try await store.createConversation(conversation, envelopes: first)

            // Adding to the newest epoch (0).
            let carol0 = StoreFixtures.envelope(0, to: carol, by: bob)
            try await store.addEnvelopes([carol0], to: id, opening: false)
            // Not opening, but not the newest; opening, but not the next.
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes([StoreFixtures.envelope(1, to: dave, by: alice)], to: id, opening: false)
            }
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes([StoreFixtures.envelope(0, to: dave, by: alice)], to: id, opening: true)
            }
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes([StoreFixtures.envelope(2, to: dave, by: alice)], to: id, opening: true)
            }
            // A recipient who has an envelope of the epoch, alone or within a batch: nothing is added.
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes([StoreFixtures.envelope(0, to: bob, by: alice)], to: id, opening: false)
            }
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes(
                    [StoreFixtures.envelope(0, to: dave, by: alice), StoreFixtures.envelope(0, to: carol, by: alice)], to: id,
                    opening: false)
            }
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes(
                    [StoreFixtures.envelope(1, to: alice, by: alice), StoreFixtures.envelope(1, to: alice, by: bob)], to: id, opening: true)
            }
            // Envelopes of two epochs in one request.
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes(
                    [StoreFixtures.envelope(0, to: dave, by: alice), StoreFixtures.envelope(1, to: alice, by: alice)], to: id,
                    opening: false)
            }
            #expect(try await store.envelopes(in: id) == first + [carol0])

            // Opening epoch 1 (Carol removed), once; then adding to it.
            let second = [StoreFixtures.envelope(1, to: alice, by: alice), StoreFixtures.envelope(1, to: bob, by: alice)]
            try await store.addEnvelopes(second, to: id, opening: true)
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes([StoreFixtures.envelope(1, to: carol, by: alice)], to: id, opening: true)
            }
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.addEnvelopes([StoreFixtures.envelope(0, to: dave, by: alice)], to: id, opening: false)
            }
            let dave1 = StoreFixtures.envelope(1, to: dave, by: bob)
            try await store.addEnvelopes([dave1], to: id, opening: false)
            // By epoch, then insertion.
            #expect(try await store.envelopes(in: id) == first + [carol0] + second + [dave1])

            await #expect(throws: ArborError(.notFound, "")) {
                try await store.addEnvelopes(
                    [StoreFixtures.envelope(0, to: dave, by: alice)], to: try StoreFixtures.conversation(by: alice).id, opening: false)
            }
        }
    }

    @Test("deleting a conversation takes everything in it and nothing else; a second delete finds none", arguments: kinds)
    func deleteConversation(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = AccountID.random()
            let (gone, kept) = (try StoreFixtures.conversation(by: alice), try StoreFixtures.conversation(by: alice))
            var streams: [ConversationID: MessageID] = [:]
            for conversation in [gone, kept] {
                try await store.createConversation(conversation, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
                let stream = StoreFixtures.message(in: conversation.id, by: alice, isStream: true)
                _ = try await store.appendMessage(stream)
                try await store.appendChunk(
                    StoredChunk(index: 0, bytes: StoreFixtures.bytes(20), isFinal: true), stream: stream.id, in: conversation.id)
                try await store.sealStream(stream.id, in: conversation.id, seal: StoreFixtures.bytes(64))
                streams[conversation.id] = stream.id
            }
            #expect(try await store.deleteConversation(gone.id))
            #expect(try await store.conversation(gone.id) == nil)
            #expect(try await store.envelopes(in: gone.id) == [])
            #expect(try await store.messages(in: gone.id, after: 0, limit: 10) == [])
            #expect(try await store.chunks(of: try #require(streams[gone.id]), in: gone.id, from: 0) == [])
            #expect(try await store.conversations(of: alice) == [kept.id])
            #expect(try await store.deleteConversation(gone.id) == false)

            let keptStream = try #require(streams[kept.id])
            #expect(try await store.messages(in: kept.id, after: 0, limit: 10).count == 1)
            #expect(try await store.streamState(of: keptStream, in: kept.id).seal != nil)
            // The id is free again: the same conversation can be made anew, its positions from 1.
            try await store.createConversation(gone, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
            #expect(try await store.appendMessage(StoreFixtures.message(in: gone.id, by: alice)) == 1)
        }
    }

    @Test("of requests racing to open the same epoch, exactly one wins", arguments: kinds)
    func openingRace(kind: Kind) async throws {
        try await kind.withStore { store in
            let members = (0..<3).map { _ in AccountID.random() }
            let conversation = try StoreFixtures.conversation(by: members[0])
            try await store.createConversation(conversation, envelopes: members.map { StoreFixtures.envelope(0, to: $0, by: members[0]) })
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for opener in members {
                    group.addTask {
                        do {
                            try await store.addEnvelopes(
                                members.map { StoreFixtures.envelope(1, to: $0, by: opener) }, to: conversation.id, opening: true)
                            return true
                        } catch let error as ArborError where error.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            let epoch1 = try await store.envelopes(in: conversation.id).filter { $0.epoch == 1 }
            #expect(epoch1.count == members.count)
            #expect(Set(epoch1.map(\.adder)).count == 1)
        }
    }

    // MARK: Messages

    @Test("messages get positions 1, 2, 3 … per conversation; a taken id is a conflict that leaves no gap", arguments: kinds)
    func messages(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = AccountID.random()
            let (one, two) = (try StoreFixtures.conversation(by: alice), try StoreFixtures.conversation(by: alice))
            for conversation in [one, two] {
                try await store.createConversation(conversation, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
            }
            let first = StoreFixtures.message(in: one.id, by: alice)
            let second = StoreFixtures.message(in: one.id, by: alice, isStream: true)
            #expect(try await store.appendMessage(first) == 1)
            #expect(try await store.appendMessage(second) == 2)
            // The same id again in its conversation; the same id in another conversation is another message.
            var repeated = StoreFixtures.message(in: one.id, by: alice)
            repeated.id = first.id
            await #expect(throws: ArborError(.conflict, "")) { _ = try await store.appendMessage(repeated) }
            var elsewhere = first
            elsewhere.conversation = two.id
            #expect(try await store.appendMessage(elsewhere) == 1)
            let third = StoreFixtures.message(in: one.id, by: alice)
            #expect(try await store.appendMessage(third) == 3)

            let stored = try await store.messages(in: one.id, after: 0, limit: 10)
            #expect(stored.map(\.position) == [1, 2, 3])
            #expect(stored.map(\.id) == [first.id, second.id, third.id])
            var expected = second
            expected.position = 2
            #expect(stored[1] == expected)
            #expect(try await store.messages(in: one.id, after: 1, limit: 1).map(\.id) == [second.id])
            #expect(try await store.messages(in: one.id, after: 3, limit: 10) == [])
            #expect(try await store.message(third.id, in: one.id)?.position == 3)
            #expect(try await store.message(first.id, in: two.id)?.position == 1)
            #expect(try await store.message(MessageID.random(), in: one.id) == nil)
        }
    }

    @Test("messages appended in parallel get positions 1 … n with no gap and no repeat", arguments: kinds)
    func parallelAppends(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = AccountID.random()
            let conversation = try StoreFixtures.conversation(by: alice)
            try await store.createConversation(conversation, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
            let count = 40
            let sent = (0..<count).map { _ in StoreFixtures.message(in: conversation.id, by: alice) }
            let positions = try await withThrowingTaskGroup(of: Int64.self) { group in
                for message in sent { group.addTask { try await store.appendMessage(message) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(positions.sorted() == Array(1...Int64(count)))
            let stored = try await store.messages(in: conversation.id, after: 0, limit: count + 10)
            #expect(stored.map(\.position) == Array(1...Int64(count)))
            #expect(Set(stored.map(\.id)) == Set(sent.map(\.id)))
        }
    }

    // MARK: Streams

    @Test("chunks are appended in order until the final one; the seal comes once, after it", arguments: kinds)
    func streams(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = AccountID.random()
            let conversation = try StoreFixtures.conversation(by: alice)
            try await store.createConversation(conversation, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
            let stream = StoreFixtures.message(in: conversation.id, by: alice, isStream: true)
            _ = try await store.appendMessage(stream)
            let (id, c) = (stream.id, conversation.id)
            #expect(try await store.streamState(of: id, in: c) == StreamState(chunkCount: 0, isFinished: false, seal: nil))

            let chunks = (0..<3).map { StoredChunk(index: Int64($0), bytes: StoreFixtures.bytes(20 + $0), isFinal: $0 == 2) }
            try await store.appendChunk(chunks[0], stream: id, in: c)
            await #expect(throws: ArborError(.conflict, "")) { try await store.appendChunk(chunks[0], stream: id, in: c) }
            await #expect(throws: ArborError(.conflict, "")) { try await store.appendChunk(chunks[2], stream: id, in: c) }
            try await store.appendChunk(chunks[1], stream: id, in: c)
            // No seal before the final chunk.
            await #expect(throws: ArborError(.conflict, "")) { try await store.sealStream(id, in: c, seal: StoreFixtures.bytes(64)) }
            #expect(try await store.streamState(of: id, in: c) == StreamState(chunkCount: 2, isFinished: false, seal: nil))
            try await store.appendChunk(chunks[2], stream: id, in: c)
            // Nothing after the final chunk.
            await #expect(throws: ArborError(.conflict, "")) {
                try await store.appendChunk(StoredChunk(index: 3, bytes: StoreFixtures.bytes(16), isFinal: true), stream: id, in: c)
            }
            #expect(try await store.chunks(of: id, in: c, from: 0) == chunks)
            #expect(try await store.chunks(of: id, in: c, from: 1) == Array(chunks[1...]))
            #expect(try await store.chunks(of: id, in: c, from: 3) == [])
            #expect(try await store.streamState(of: id, in: c) == StreamState(chunkCount: 3, isFinished: true, seal: nil))

            let seal = StoreFixtures.bytes(64)
            try await store.sealStream(id, in: c, seal: seal)
            await #expect(throws: ArborError(.conflict, "")) { try await store.sealStream(id, in: c, seal: StoreFixtures.bytes(64)) }
            #expect(try await store.streamState(of: id, in: c) == StreamState(chunkCount: 3, isFinished: true, seal: seal))

            // A stream that was never sent; a text message, which is no stream.
            let never = MessageID.random()
            await #expect(throws: ArborError(.notFound, "")) { try await store.appendChunk(chunks[0], stream: never, in: c) }
            await #expect(throws: ArborError(.notFound, "")) { try await store.sealStream(never, in: c, seal: seal) }
            let text = StoreFixtures.message(in: c, by: alice)
            _ = try await store.appendMessage(text)
            await #expect(throws: ArborError(.conflict, "")) { try await store.appendChunk(chunks[0], stream: text.id, in: c) }

        }
    }

    @Test("of writers racing for one chunk index, exactly one wins", arguments: kinds)
    func chunkRace(kind: Kind) async throws {
        try await kind.withStore { store in
            let alice = AccountID.random()
            let conversation = try StoreFixtures.conversation(by: alice)
            try await store.createConversation(conversation, envelopes: [StoreFixtures.envelope(0, to: alice, by: alice)])
            let stream = StoreFixtures.message(in: conversation.id, by: alice, isStream: true)
            _ = try await store.appendMessage(stream)
            let outcomes = try await withThrowingTaskGroup(of: Bool.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        do {
                            try await store.appendChunk(
                                StoredChunk(index: 0, bytes: StoreFixtures.bytes(24), isFinal: false), stream: stream.id,
                                in: conversation.id)
                            return true
                        } catch let error as ArborError where error.code == .conflict {
                            return false
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(outcomes.filter { $0 }.count == 1)
            #expect(try await store.streamState(of: stream.id, in: conversation.id).chunkCount == 1)
        }
    }
}

/// Valid-looking records for the store, which keeps bytes and does not open them.
enum StoreFixtures {
    /// One real account record (PBKDF2 at the minimum rounds takes a while), reused with other ids.
    static let template = Result { try AccountKeys.signUp(password: SecretBytes(copying: Array("contract".utf8))).record }

    static func account(_ name: String, createdAt: Int64 = 1) throws -> StoredAccount {
        let record = try template.get()
        return StoredAccount(
            name: name,
            record: AccountRecord(
                account: AccountID.random(), password: record.password, loginPublicKey: record.loginPublicKey,
                masterByPassword: record.masterByPassword, masterByRecovery: record.masterByRecovery, identity: record.identity,
                identityPublicKeys: record.identityPublicKeys),
            createdAt: createdAt)
    }

    static func session(of account: StoredAccount, createdAt: Int64, expiresAt: Int64) -> DeviceSession {
        DeviceSession(
            device: DeviceID.random(), account: account.record.account, name: "device", tokenHash: bytes(32), createdAt: createdAt,
            expiresAt: expiresAt)
    }

    static func conversation(by creator: AccountID, createdAt: Int64 = 1) throws -> StoredConversation {
        let nonce = bytes(ConversationID.nonceSize)
        return StoredConversation(
            id: try ConversationID(creator: creator, nonce: nonce), creator: creator, nonce: nonce, createdAt: createdAt)
    }

    static func envelope(_ epoch: UInt32, to recipient: AccountID, by adder: AccountID) -> StoredEnvelope {
        StoredEnvelope(epoch: epoch, recipient: recipient, adder: adder, bytes: bytes(64))
    }

    static func message(in conversation: ConversationID, by sender: AccountID, isStream: Bool = false) -> StoredMessage {
        StoredMessage(conversation: conversation, id: MessageID.random(), epoch: 0, sender: sender, isStream: isStream, bytes: bytes(48))
    }

    static func bytes(_ count: Int) -> [UInt8] { randomBytes(count) }
}

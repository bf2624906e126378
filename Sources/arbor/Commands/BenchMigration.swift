import ArborCore
import ArborE2EE
import ArborMigration
import Crypto
import Foundation

/// `arbor bench e2ee`'s migration case: messages per second through `PlaintextMigration` (ids
/// derived, each message sealed and signed with the real formats, the state file saved after
/// every batch) into a destination in this process, against raw AES-256-GCM of the same
/// plaintexts. No node: what the client does per message.
enum BenchMigration {
    struct Result: Encodable {
        let messages: Int
        let batch: Int
        let messagesPerSecond: Double
        let rawMessagesPerSecond: Double
    }

    static func run(messages: Int, keys: AccountKeys) async throws -> Result {
        let conversations = 10
        let source = MemoryLegacyStore(conversations: conversations, messagesEach: max(1, messages / conversations))
        let total = source.messagesEach * conversations
        let batch = 100
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("arbor-bench-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var best = Double.infinity
        for run in 0..<3 {
            let migration = PlaintextMigration(
                source: source, destination: SealingDestination(keys: keys),
                keys: keys, stateFile: MigrationStateFile(path: "\(directory)/state-\(run).json"), participant: nil)
            let start = ContinuousClock.now
            _ = try await migration.run(batchSize: batch)
            best = min(best, seconds(ContinuousClock.now - start))
        }
        let plaintexts = (0..<conversations).flatMap { conversation in
            source.all(in: "c\(conversation)").map {
                ImportedMessage(author: $0.author, legacyID: $0.id, sentAt: $0.sentAt, text: $0.text).plaintext
            }
        }
        let rawKey = SymmetricKey(size: .bits256)
        let raw = try BenchE2EECommand.best(runs: 3) {
            for plaintext in plaintexts { _ = try AES.GCM.seal(plaintext, using: rawKey) }
        }
        return Result(messages: total, batch: batch, messagesPerSecond: Double(total) / best, rawMessagesPerSecond: Double(total) / raw)
    }

    private static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}

/// A legacy store made up in memory: `conversations` conversations of `messagesEach` short messages.
private struct MemoryLegacyStore: LegacyStore {
    let conversations: Int
    let messagesEach: Int

    func all(in conversation: String) -> [LegacyMessage] {
        (0..<messagesEach).map {
            LegacyMessage(
                id: "\(conversation)-m\($0)", author: $0 % 2 == 0 ? "alice" : "bob", sentAt: 1_600_000_000 + Int64($0),
                text: "message \($0) of \(conversation): a sentence of about the length people write in a chat.")
        }
    }

    func conversations(of participant: String?) throws -> [LegacyConversation] {
        (0..<conversations).map { LegacyConversation(id: "c\($0)", title: "", participants: ["alice", "bob"]) }
    }

    func messageCount(in conversation: String) throws -> Int { messagesEach }

    func messages(in conversation: String, offset: Int, limit: Int) throws -> [LegacyMessage] {
        Array(all(in: conversation).dropFirst(offset).prefix(limit))
    }

    func purge(conversations: [String]) throws {}
}

/// Seals as the node destination does (the account's own epoch-0 key, a signed message of kind
/// imported, sequence and previous as a reader gives them) and keeps the bytes in memory.
private actor SealingDestination: MigrationDestination {
    struct Conversation {
        let key: EpochKey
        var messages: [SealedMessage] = []
    }

    let keys: AccountKeys
    private var conversations: [ConversationID: Conversation] = [:]

    init(keys: AccountKeys) { self.keys = keys }

    func openConversation(nonce: [UInt8]) async throws -> ConversationID {
        let id = try ConversationID(creator: keys.account, nonce: nonce)
        if conversations[id] == nil {
            let key = EpochKey.random()
            // The envelope the node would store, made for the same cost.
            _ = try KeyEnvelope.seal(
                key, conversation: id, epoch: 0, recipient: keys.account, recipientKeys: keys.identity.publicKeys,
                adder: keys.account, adderIdentity: keys.identity)
            conversations[id] = Conversation(key: key)
        }
        return id
    }

    func append(_ message: ImportedMessage, id: MessageID, to conversation: ConversationID) async throws -> Bool {
        guard var stored = conversations[conversation] else { throw ArborError(.notFound, "no conversation \(conversation.hex)") }
        let header = try MessageHeader(
            kind: .imported, conversation: conversation, epoch: 0, id: id, sender: keys.account,
            sequence: UInt64(stored.messages.count + 1), previous: stored.messages.last?.header.id ?? .none)
        stored.messages.append(
            try SealedMessage.seal(message.plaintext, header: header, epochKey: stored.key, senderIdentity: keys.identity))
        conversations[conversation] = stored
        return true
    }

    func importedMessages(in conversation: ConversationID) async throws -> [MessageID: ImportedMessage] { [:] }

    func deleteConversation(_ conversation: ConversationID) async throws { conversations[conversation] = nil }
}

import ArborCore
import ArborKeyStore
import Foundation

/// Where a migration stands, persisted after every batch (docs/e2ee.md §15), so that it pauses,
/// resumes and rolls back across runs. It holds legacy ids and the new conversation ids, no
/// plaintext and no key.
public struct MigrationState: Codable, Sendable, Equatable {
    public enum Status: String, Codable, Sendable {
        /// Batches remain (a run was paused or stopped).
        case migrating
        /// Every message is written; the original is kept until the user confirms.
        case migrated
        /// Every message was read back, checked and compared with the original.
        case verified
        /// The user confirmed: the original plaintext is deleted, and nothing rolls back.
        case confirmed
    }

    public struct Conversation: Codable, Sendable, Equatable {
        public var legacyID: String
        /// The end-to-end encrypted conversation, hex; nil until it is created.
        public var conversation: String?
        public var total: Int
        /// How many of its legacy messages, in order, are written.
        public var migrated: Int

        enum CodingKeys: String, CodingKey {
            case legacyID = "legacy_id"
            case conversation, total, migrated
        }
    }

    public var account: String
    public var status: Status
    public var conversations: [Conversation]

    public var total: Int { conversations.reduce(0) { $0 + $1.total } }
    public var migrated: Int { conversations.reduce(0) { $0 + $1.migrated } }
}

/// The state file: JSON, replaced atomically, 0600.
public struct MigrationStateFile: Sendable {
    public let path: String

    public init(path: String) { self.path = path }

    public func load() throws -> MigrationState? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        do {
            let decoder = JSONDecoder()
            return try decoder.decode(MigrationState.self, from: Data(try SecureFile.readBytes(path)))
        } catch let error as ArborError {
            throw error
        } catch {
            throw ArborError(.corruptFile, "\(path) is not a migration state file; move it away to start over")
        }
    }

    public func save(_ state: MigrationState) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        try SecureFile.write(bytes: Array(try encoder.encode(state)), to: path, mode: .secret, overwrite: true)
    }

    public func remove() throws {
        if FileManager.default.fileExists(atPath: path) { try FileManager.default.removeItem(atPath: path) }
    }
}

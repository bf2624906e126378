import ArborCore
import ArborE2EE
import ArborServer
import ArborTestSupport
import Foundation
import GRDB

/// The node's database reached behind the node's back: what its operator, or whoever copies it,
/// can do without any key. The tamper and dump tests go through this seam only, so each store
/// kind runs them by giving its own implementation (`E2EEStoreKind.backDoor(in:)`): SQLite here;
/// a PostgreSQL one opens its database with its own client and dumps it with `pg_dump`.
protocol E2EEBackDoor: Sendable {
    /// Every byte the store keeps, as a thief would copy it: the SQLite file with its WAL and
    /// shared-memory files (a server database: its dump).
    func storedBytes() async throws -> [UInt8]
    /// The messages of a conversation, in their positions.
    func messages(in conversation: ConversationID) async throws -> [(position: Int64, bytes: [UInt8])]
    /// Replaces the bytes at `position` (and the columns the node indexes them by).
    func replaceMessage(in conversation: ConversationID, position: Int64, with bytes: [UInt8]) async throws
    /// Adds `bytes` after the last message, past the node's own uniqueness check on ids.
    func appendMessage(in conversation: ConversationID, bytes: [UInt8]) async throws
    func envelope(in conversation: ConversationID, epoch: UInt32, recipient: AccountID) async throws -> [UInt8]
    func replaceEnvelope(in conversation: ConversationID, epoch: UInt32, recipient: AccountID, with bytes: [UInt8]) async throws
    /// Hands out `keys` as `account`'s identity from now on.
    func replaceIdentityPublicKeys(of account: AccountID, with keys: IdentityPublicKeys) async throws
}

extension E2EEStoreKind {
    /// The back door into the store `open(in: directory)` made.
    func backDoor(in directory: String, store: RunningE2EEStore) throws -> any E2EEBackDoor {
        switch self {
        case .sqlite: return SQLiteBackDoor(path: directory + "/" + SQLiteE2EEStore.fileName)
        case .postgres:
            guard let (server, database) = store.postgres else { throw ArborError(.invalidArgument, "not a PostgreSQL store") }
            return PostgresBackDoor(server: server, database: database)
        }
    }
}

/// `e2ee.sqlite` opened with a connection of its own while the node runs (WAL allows it).
struct SQLiteBackDoor: E2EEBackDoor {
    let path: String

    private func write<T>(_ body: (Database) throws -> T) throws -> T {
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        return try DatabaseQueue(path: path, configuration: configuration).write(body)
    }

    func storedBytes() async throws -> [UInt8] {
        var bytes: [UInt8] = []
        for suffix in ["", "-wal", "-shm", "-journal"] {
            if let data = FileManager.default.contents(atPath: path + suffix) { bytes += Array(data) + [0] }
        }
        return bytes
    }

    func messages(in conversation: ConversationID) async throws -> [(position: Int64, bytes: [UInt8])] {
        try write { db in
            try Row.fetchAll(
                db, sql: "SELECT position, bytes FROM messages WHERE conversation = ? ORDER BY position",
                arguments: [Data(conversation.bytes)]
            ).map { (position: $0["position"], bytes: Array($0["bytes"] as Data)) }
        }
    }

    func replaceMessage(in conversation: ConversationID, position: Int64, with bytes: [UInt8]) async throws {
        let header = try SealedMessage(bytes: bytes).header
        try write { db in
            // The id column is unique: park the row's id first, as two swapped rows would collide.
            try db.execute(
                sql: "UPDATE messages SET id = randomblob(16) WHERE conversation = ? AND position = ?",
                arguments: [Data(conversation.bytes), position])
            try db.execute(
                sql: """
                    UPDATE messages SET bytes = ?, sender = ?, epoch = ?, is_stream = ?, id = CASE WHEN EXISTS (
                        SELECT 1 FROM messages WHERE conversation = ? AND id = ?) THEN randomblob(16) ELSE ? END
                    WHERE conversation = ? AND position = ?
                    """,
                arguments: [
                    Data(bytes), Data(header.sender.bytes), Int64(header.epoch), header.kind == .stream, Data(conversation.bytes),
                    Data(header.id.bytes), Data(header.id.bytes), Data(conversation.bytes), position,
                ])
        }
    }

    func appendMessage(in conversation: ConversationID, bytes: [UInt8]) async throws {
        let header = try SealedMessage(bytes: bytes).header
        try write { db in
            try db.execute(
                sql: """
                    INSERT INTO messages (conversation, position, id, epoch, sender, is_stream, bytes)
                    SELECT ?, COALESCE(MAX(position), 0) + 1, randomblob(16), ?, ?, ?, ? FROM messages WHERE conversation = ?
                    """,
                arguments: [
                    Data(conversation.bytes), Int64(header.epoch), Data(header.sender.bytes), header.kind == .stream, Data(bytes),
                    Data(conversation.bytes),
                ])
        }
    }

    func envelope(in conversation: ConversationID, epoch: UInt32, recipient: AccountID) async throws -> [UInt8] {
        try write { db in
            guard
                let data = try Data.fetchOne(
                    db, sql: "SELECT bytes FROM envelopes WHERE conversation = ? AND epoch = ? AND recipient = ?",
                    arguments: [Data(conversation.bytes), Int64(epoch), Data(recipient.bytes)])
            else { throw ArborError(.notFound, "no envelope of epoch \(epoch) for \(recipient.hex)") }
            return Array(data)
        }
    }

    func replaceEnvelope(in conversation: ConversationID, epoch: UInt32, recipient: AccountID, with bytes: [UInt8]) async throws {
        try write { db in
            try db.execute(
                sql: "UPDATE envelopes SET bytes = ? WHERE conversation = ? AND epoch = ? AND recipient = ?",
                arguments: [Data(bytes), Data(conversation.bytes), Int64(epoch), Data(recipient.bytes)])
        }
    }

    func replaceIdentityPublicKeys(of account: AccountID, with keys: IdentityPublicKeys) async throws {
        try write { db in
            try db.execute(
                sql: "UPDATE accounts SET receiving_public_key = ?, signing_public_key = ?, pq_signing_public_key = ? WHERE id = ?",
                arguments: [Data(keys.receiving), Data(keys.signing), Data(keys.pqSigning), Data(account.bytes)])
        }
    }
}

import ArborCore
import ArborE2EE
import ArborOperations
import Foundation
import GRDB

/// The node's default `E2EEStore`: its own SQLite file, `e2ee.sqlite` in the data directory (0600,
/// WAL: reads run beside the single writer). It is not the sealed node database: everything in it
/// is public keys, parameters or ciphertext the node cannot open, so nothing is sealed again.
public final class SQLiteE2EEStore: E2EEStore {
    public static let fileName = "e2ee.sqlite"

    let pool: DatabasePool

    /// Opens (creating, 0600, if need be) the database at `path` and migrates it.
    public init(path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
                throw ArborError(.ioFailure, "cannot create the E2EE database \(path)")
            }
        }
        var configuration = Configuration()
        configuration.label = "arbor.e2ee"
        configuration.busyMode = .timeout(10)
        // A crash loses no acknowledged write.
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = FULL") }
        pool = try DatabasePool(path: path, configuration: configuration)
        try SQLiteE2EESchema.migrator.migrate(pool)
    }

    /// The store of the data directory at `directory`.
    public convenience init(directory: String) throws {
        try self.init(path: directory + "/" + Self.fileName)
    }

    // MARK: Accounts

    public func createAccount(_ account: StoredAccount) async throws {
        let record = account.record
        try await write("account \(record.account) or the name '\(account.name)' is taken") { db in
            try db.execute(
                sql: """
                    INSERT INTO accounts (id, name, rounds, salt, login_public_key, master_by_password, master_by_recovery, identity,
                        receiving_public_key, signing_public_key, pq_signing_public_key, created_at)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [
                    Data(record.account.bytes), account.name, Int64(record.password.rounds), Data(record.password.salt),
                    Data(record.loginPublicKey), Data(record.masterByPassword.bytes), Data(record.masterByRecovery.bytes),
                    Data(record.identity.bytes), Data(record.identityPublicKeys.receiving), Data(record.identityPublicKeys.signing),
                    Data(record.identityPublicKeys.pqSigning), account.createdAt,
                ])
        }
    }

    public func account(_ id: AccountID) async throws -> StoredAccount? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE id = ?", arguments: [Data(id.bytes)]).map(Self.account)
        }
    }

    public func account(named name: String) async throws -> StoredAccount? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM accounts WHERE name = ?", arguments: [name]).map(Self.account)
        }
    }

    public func changePassword(of account: AccountID, to change: PasswordChange) async throws {
        let changed = try await pool.write { db in
            try db.execute(
                sql: "UPDATE accounts SET rounds = ?, salt = ?, login_public_key = ?, master_by_password = ? WHERE id = ?",
                arguments: [
                    Int64(change.password.rounds), Data(change.password.salt), Data(change.loginPublicKey),
                    Data(change.masterByPassword.bytes), Data(account.bytes),
                ])
            return db.changesCount
        }
        guard changed == 1 else { throw ArborError(.notFound, "there is no account \(account)") }
    }

    public func decoySecret() async throws -> [UInt8] {
        try await pool.write { db in
            if let existing = try Data.fetchOne(db, sql: "SELECT value FROM settings WHERE name = 'decoy_secret'") {
                return [UInt8](existing)
            }
            let secret = randomBytes(32)
            try db.execute(sql: "INSERT INTO settings (name, value) VALUES ('decoy_secret', ?)", arguments: [Data(secret)])
            return secret
        }
    }

    // MARK: Sessions

    public func createSession(_ session: DeviceSession) async throws {
        try await write("the session exists") { db in
            // Expired sessions go as new ones come, so the table does not keep them.
            try db.execute(sql: "DELETE FROM sessions WHERE expires_at <= ?", arguments: [session.createdAt])
            try db.execute(
                sql: "INSERT INTO sessions (device, account, name, token_hash, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [
                    Data(session.device.bytes), Data(session.account.bytes), session.name, Data(session.tokenHash), session.createdAt,
                    session.expiresAt,
                ])
        }
    }

    public func session(tokenHash: [UInt8], now: Int64) async throws -> DeviceSession? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM sessions WHERE token_hash = ? AND expires_at > ?", arguments: [Data(tokenHash), now]
            ).map(Self.session)
        }
    }

    public func sessions(of account: AccountID, now: Int64) async throws -> [DeviceSession] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM sessions WHERE account = ? AND expires_at > ? ORDER BY created_at, device",
                arguments: [Data(account.bytes), now]
            ).map(Self.session)
        }
    }

    public func deleteSession(device: DeviceID, of account: AccountID) async throws -> Bool {
        try await pool.write { db in
            try db.execute(
                sql: "DELETE FROM sessions WHERE device = ? AND account = ?", arguments: [Data(device.bytes), Data(account.bytes)])
            return db.changesCount == 1
        }
    }

    // MARK: Conversations

    public func createConversation(_ conversation: StoredConversation, envelopes: [StoredEnvelope]) async throws {
        try await write("conversation \(conversation.id) exists") { db in
            try db.execute(
                sql: "INSERT INTO conversations (id, creator, nonce, created_at) VALUES (?, ?, ?, ?)",
                arguments: [
                    Data(conversation.id.bytes), Data(conversation.creator.bytes), Data(conversation.nonce), conversation.createdAt,
                ])
            try Self.insert(envelopes, into: conversation.id, db)
        }
    }

    public func deleteConversation(_ id: ConversationID) async throws -> Bool {
        try await pool.write { db in
            for table in ["envelopes", "messages", "chunks", "stream_seals"] {
                try db.execute(sql: "DELETE FROM \(table) WHERE conversation = ?", arguments: [Data(id.bytes)])
            }
            try db.execute(sql: "DELETE FROM conversations WHERE id = ?", arguments: [Data(id.bytes)])
            return db.changesCount == 1
        }
    }

    public func conversation(_ id: ConversationID) async throws -> StoredConversation? {
        try await pool.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM conversations WHERE id = ?", arguments: [Data(id.bytes)]).map { row in
                StoredConversation(
                    id: try ConversationID(bytes: Self.bytes(row, "id")), creator: try AccountID(bytes: Self.bytes(row, "creator")),
                    nonce: Self.bytes(row, "nonce"), createdAt: row["created_at"])
            }
        }
    }

    public func conversations(of account: AccountID) async throws -> [ConversationID] {
        try await pool.read { db in
            try Data.fetchAll(
                db,
                sql: """
                    SELECT c.id FROM conversations c
                    WHERE EXISTS (SELECT 1 FROM envelopes e WHERE e.conversation = c.id AND e.recipient = ?)
                    ORDER BY c.created_at, c.seq
                    """, arguments: [Data(account.bytes)]
            ).map { try ConversationID(bytes: [UInt8]($0)) }
        }
    }

    public func envelopes(in conversation: ConversationID) async throws -> [StoredEnvelope] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM envelopes WHERE conversation = ? ORDER BY epoch, seq", arguments: [Data(conversation.bytes)]
            ).map { row in
                StoredEnvelope(
                    epoch: UInt32(row["epoch"] as Int64), recipient: try AccountID(bytes: Self.bytes(row, "recipient")),
                    adder: try AccountID(bytes: Self.bytes(row, "adder")), bytes: Self.bytes(row, "bytes"))
            }
        }
    }

    public func addEnvelopes(_ envelopes: [StoredEnvelope], to conversation: ConversationID, opening: Bool) async throws {
        let epochs = Set(envelopes.map(\.epoch))
        guard epochs.count == 1, let epoch = epochs.first else {
            throw ArborError(.conflict, "the envelopes added at once are all of one epoch")
        }
        try await write("an account already holds an envelope of epoch \(epoch)") { db in
            guard
                let newest = try Int64.fetchOne(
                    db, sql: "SELECT MAX(epoch) FROM envelopes WHERE conversation = ?", arguments: [Data(conversation.bytes)])
            else { throw ArborError(.notFound, "there is no conversation \(conversation)") }
            let expected = opening ? newest + 1 : newest
            guard Int64(epoch) == expected else {
                throw ArborError(
                    .conflict,
                    opening
                        ? "epoch \(epoch) cannot be opened: the newest is \(newest), so only \(newest + 1) can (and only once)"
                        : "envelopes are added to the newest epoch, \(newest), not \(epoch)")
            }
            try Self.insert(envelopes, into: conversation, db)
        }
    }

    // MARK: Messages

    public func appendMessage(_ message: StoredMessage) async throws -> Int64 {
        try await write("conversation \(message.conversation) has a message \(message.id) already") { db in
            let position =
                try Int64.fetchOne(
                    db, sql: "SELECT COALESCE(MAX(position), 0) + 1 FROM messages WHERE conversation = ?",
                    arguments: [Data(message.conversation.bytes)]) ?? 1
            try db.execute(
                sql: "INSERT INTO messages (conversation, position, id, epoch, sender, is_stream, bytes) VALUES (?, ?, ?, ?, ?, ?, ?)",
                arguments: [
                    Data(message.conversation.bytes), position, Data(message.id.bytes), Int64(message.epoch), Data(message.sender.bytes),
                    message.isStream, Data(message.bytes),
                ])
            return position
        }
    }

    public func messages(in conversation: ConversationID, after: Int64, limit: Int) async throws -> [StoredMessage] {
        try await pool.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM messages WHERE conversation = ? AND position > ? ORDER BY position LIMIT ?",
                arguments: [Data(conversation.bytes), after, limit]
            ).map(Self.message)
        }
    }

    public func message(_ id: MessageID, in conversation: ConversationID) async throws -> StoredMessage? {
        try await pool.read { db in
            try Row.fetchOne(
                db, sql: "SELECT * FROM messages WHERE conversation = ? AND id = ?", arguments: [Data(conversation.bytes), Data(id.bytes)]
            ).map(Self.message)
        }
    }

    // MARK: Streams

    public func appendChunk(_ chunk: StoredChunk, stream: MessageID, in conversation: ConversationID) async throws {
        try await write("chunk \(chunk.index) of stream \(stream) exists") { db in
            let state = try Self.streamState(stream, conversation, db)
            guard !state.isFinished else { throw ArborError(.conflict, "stream \(stream) has its final chunk: nothing comes after it") }
            guard chunk.index == state.chunkCount else {
                throw ArborError(.conflict, "stream \(stream) expects chunk \(state.chunkCount) next, not \(chunk.index)")
            }
            try db.execute(
                sql: "INSERT INTO chunks (conversation, stream, chunk_index, bytes, is_final) VALUES (?, ?, ?, ?, ?)",
                arguments: [Data(conversation.bytes), Data(stream.bytes), chunk.index, Data(chunk.bytes), chunk.isFinal])
        }
    }

    public func chunks(of stream: MessageID, in conversation: ConversationID, from: Int64) async throws -> [StoredChunk] {
        try await pool.read { db in
            try Row.fetchAll(
                db,
                sql:
                    "SELECT chunk_index, bytes, is_final FROM chunks WHERE conversation = ? AND stream = ? AND chunk_index >= ? ORDER BY chunk_index",
                arguments: [Data(conversation.bytes), Data(stream.bytes), from]
            ).map { row in StoredChunk(index: row["chunk_index"], bytes: Self.bytes(row, "bytes"), isFinal: row["is_final"]) }
        }
    }

    public func sealStream(_ stream: MessageID, in conversation: ConversationID, seal: [UInt8]) async throws {
        try await write("stream \(stream) is sealed already") { db in
            let state = try Self.streamState(stream, conversation, db)
            guard state.isFinished else {
                throw ArborError(.conflict, "stream \(stream) is sealed after its final chunk, which has not come")
            }
            guard state.seal == nil else { throw ArborError(.conflict, "stream \(stream) is sealed already") }
            try db.execute(
                sql: "INSERT INTO stream_seals (conversation, stream, seal) VALUES (?, ?, ?)",
                arguments: [Data(conversation.bytes), Data(stream.bytes), Data(seal)])
        }
    }

    public func streamState(of stream: MessageID, in conversation: ConversationID) async throws -> StreamState {
        try await pool.read { db in try Self.streamState(stream, conversation, db) }
    }

    // MARK: Rows

    /// `not found` without the stream's message, `conflict` when that message is no stream.
    private static func streamState(_ stream: MessageID, _ conversation: ConversationID, _ db: Database) throws -> StreamState {
        let arguments: StatementArguments = [Data(conversation.bytes), Data(stream.bytes)]
        guard
            let isStream = try Bool.fetchOne(
                db, sql: "SELECT is_stream FROM messages WHERE conversation = ? AND id = ?", arguments: arguments)
        else {
            throw ArborError(.notFound, "stream \(stream) does not exist in conversation \(conversation): send its stream message first")
        }
        guard isStream else { throw ArborError(.conflict, "message \(stream) is a text message, not a stream") }
        let row = try Row.fetchOne(
            db, sql: "SELECT COUNT(*) AS count, COALESCE(MAX(is_final), 0) AS finished FROM chunks WHERE conversation = ? AND stream = ?",
            arguments: arguments)
        let seal = try Data.fetchOne(db, sql: "SELECT seal FROM stream_seals WHERE conversation = ? AND stream = ?", arguments: arguments)
        return StreamState(
            chunkCount: row?["count"] ?? 0, isFinished: (row?["finished"] ?? 0 as Int64) != 0, seal: seal.map { [UInt8]($0) })
    }

    private static func insert(_ envelopes: [StoredEnvelope], into conversation: ConversationID, _ db: Database) throws {
        for envelope in envelopes {
            try db.execute(
                sql: "INSERT INTO envelopes (conversation, epoch, recipient, adder, bytes) VALUES (?, ?, ?, ?, ?)",
                arguments: [
                    Data(conversation.bytes), Int64(envelope.epoch), Data(envelope.recipient.bytes), Data(envelope.adder.bytes),
                    Data(envelope.bytes),
                ])
        }
    }

    private static func bytes(_ row: Row, _ column: String) -> [UInt8] { [UInt8]((row[column] as Data?) ?? Data()) }

    private static func account(_ row: Row) throws -> StoredAccount {
        let account = try AccountID(bytes: bytes(row, "id"))
        let keys = try AccountRecordRules.identityPublicKeys(
            receiving: bytes(row, "receiving_public_key"), signing: bytes(row, "signing_public_key"),
            pqSigning: bytes(row, "pq_signing_public_key"))
        let record = try AccountRecordRules.record(
            account: account, password: try PasswordParameters(rounds: UInt32(row["rounds"] as Int64), salt: bytes(row, "salt")),
            loginPublicKey: bytes(row, "login_public_key"), masterByPassword: try WrappedKey(bytes: bytes(row, "master_by_password")),
            masterByRecovery: try WrappedKey(bytes: bytes(row, "master_by_recovery")),
            identity: try WrappedKey(bytes: bytes(row, "identity")),
            identityPublicKeys: keys)
        return StoredAccount(name: row["name"], record: record, createdAt: row["created_at"])
    }

    private static func session(_ row: Row) throws -> DeviceSession {
        DeviceSession(
            device: try DeviceID(hex: Hex.encode(bytes(row, "device"))), account: try AccountID(bytes: bytes(row, "account")),
            name: row["name"], tokenHash: bytes(row, "token_hash"), createdAt: row["created_at"], expiresAt: row["expires_at"])
    }

    private static func message(_ row: Row) throws -> StoredMessage {
        StoredMessage(
            conversation: try ConversationID(bytes: bytes(row, "conversation")), position: row["position"],
            id: try MessageID(bytes: bytes(row, "id")), epoch: UInt32(row["epoch"] as Int64),
            sender: try AccountID(bytes: bytes(row, "sender")),
            isStream: row["is_stream"], bytes: bytes(row, "bytes"))
    }

    /// A write transaction whose uniqueness violations are `conflict` with `message`.
    private func write<T: Sendable>(_ message: String, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        do {
            return try await pool.write(body)
        } catch let error as DatabaseError where error.resultCode == .SQLITE_CONSTRAINT {
            throw ArborError(.conflict, message)
        }
    }
}

import ArborCore
import ArborE2EE
import ArborOperations
import Logging
import NIOCore
import PostgresNIO

extension PostgresE2EEStore {
    public func createConversation(_ conversation: StoredConversation, envelopes: [StoredEnvelope]) async throws {
        guard envelopes.allSatisfy({ $0.epoch == 0 }) else {
            throw ArborError(.invalidArgument, "a new conversation's envelopes are all of epoch 0")
        }
        let id = conversation.id
        try await transaction(
            refusing: Refusal(duplicate: { constraint in
                constraint == "e2ee_envelopes_recipient_key"
                    ? "two envelopes of epoch 0 for one recipient in conversation \(id.hex): send one per participant"
                    : "conversation \(id.hex) exists: make a new one with a fresh nonce"
            })
        ) { connection in
            try await connection.query(
                """
                INSERT INTO e2ee_conversations (id, creator, nonce, created_at)
                VALUES (\(id.bytes.bytea), \(conversation.creator.bytes.bytea), \(conversation.nonce.bytea), \(conversation.createdAt))
                """, logger: logger)
            try await Self.insert(envelopes, into: id, on: connection, logger: logger)
        }
    }

    public func conversation(_ id: ConversationID) async throws -> StoredConversation? {
        guard let row = try await rows("SELECT creator, nonce, created_at FROM e2ee_conversations WHERE id = \(id.bytes.bytea)").first
        else { return nil }
        let (creator, nonce, createdAt) = try row.decode((ByteBuffer, ByteBuffer, Int64).self)
        return StoredConversation(id: id, creator: try Self.accountID(creator), nonce: nonce.bytes, createdAt: createdAt)
    }

    public func conversations(of account: AccountID) async throws -> [ConversationID] {
        try await rows(
            """
            SELECT c.id FROM e2ee_conversations c
            WHERE EXISTS (SELECT 1 FROM e2ee_envelopes e WHERE e.conversation = c.id AND e.recipient = \(account.bytes.bytea))
            ORDER BY c.created_at, c.serial
            """
        ).map { row in
            let id = try row.decode(ByteBuffer.self)
            return try Self.parsed("a conversation id") { try ConversationID(bytes: id.bytes) }
        }
    }

    public func envelopes(in conversation: ConversationID) async throws -> [StoredEnvelope] {
        try await rows(
            """
            SELECT epoch, recipient, adder, bytes FROM e2ee_envelopes
            WHERE conversation = \(conversation.bytes.bytea) ORDER BY epoch, serial
            """
        ).map { row in
            let (epoch, recipient, adder, bytes) = try row.decode((Int64, ByteBuffer, ByteBuffer, ByteBuffer).self)
            return StoredEnvelope(
                epoch: try Self.parsed("an epoch") { try UInt32(exactly: epoch).orThrow() }, recipient: try Self.accountID(recipient),
                adder: try Self.accountID(adder), bytes: bytes.bytes)
        }
    }

    /// Its envelopes, messages, chunks and seals go with it (the schema's ON DELETE CASCADE).
    public func deleteConversation(_ conversation: ConversationID) async throws -> Bool {
        try await !rows("DELETE FROM e2ee_conversations WHERE id = \(conversation.bytes.bytea) RETURNING 1").isEmpty
    }

    /// Under a lock on the conversation's row, so that two requests opening the same epoch queue
    /// and the second finds it opened.
    public func addEnvelopes(_ envelopes: [StoredEnvelope], to conversation: ConversationID, opening: Bool) async throws {
        guard let epoch = envelopes.first?.epoch else { throw ArborError(.invalidArgument, "no envelopes to add") }
        guard envelopes.allSatisfy({ $0.epoch == epoch }) else {
            throw ArborError(.conflict, "the envelopes of one request are of one epoch: send each epoch's envelopes on their own")
        }
        let id = conversation
        try await transaction(
            refusing: Refusal(duplicate: { _ in
                "a recipient already has an envelope of epoch \(epoch) in conversation \(id.hex): add each participant once per epoch"
            })
        ) { connection in
            let locked = try await connection.query(
                "SELECT 1 FROM e2ee_conversations WHERE id = \(id.bytes.bytea) FOR UPDATE", logger: logger
            ).collect()
            guard !locked.isEmpty else { throw Self.noConversation(id) }
            let newestRow = try await connection.query(
                "SELECT max(epoch) FROM e2ee_envelopes WHERE conversation = \(id.bytes.bytea)", logger: logger
            ).collect()
            let newest = try newestRow.first?.decode(Int64?.self) ?? nil
            let expected = opening ? (newest ?? -1) + 1 : newest
            guard Int64(epoch) == expected else {
                let current = newest.map { "its newest epoch is \($0)" } ?? "it has no epoch yet"
                throw ArborError(
                    .conflict,
                    opening
                        ? "epoch \(epoch) cannot be opened in conversation \(id.hex): \(current); reload the conversation and open the next one"
                        : "envelopes of epoch \(epoch) cannot be added to conversation \(id.hex): \(current); reload the conversation"
                )
            }
            try await Self.insert(envelopes, into: id, on: connection, logger: logger)
        }
    }

    static func insert(
        _ envelopes: [StoredEnvelope], into conversation: ConversationID, on connection: PostgresConnection, logger: Logger
    ) async throws {
        for envelope in envelopes {
            try await connection.query(
                """
                INSERT INTO e2ee_envelopes (conversation, epoch, recipient, adder, bytes)
                VALUES (\(conversation.bytes.bytea), \(Int64(envelope.epoch)), \(envelope.recipient.bytes.bytea),
                    \(envelope.adder.bytes.bytea), \(envelope.bytes.bytea))
                """, logger: logger)
        }
    }

    static func noConversation(_ id: ConversationID) -> ArborError {
        ArborError(.notFound, "conversation \(id.hex) does not exist: create it first, or check its id")
    }

    static func accountID(_ buffer: ByteBuffer) throws -> AccountID {
        try parsed("an account id") { try AccountID(bytes: buffer.bytes) }
    }

    /// A stored value parsed, or `corrupt file` naming what (never the value itself).
    static func parsed<Value>(_ what: String, _ parse: () throws -> Value) throws -> Value {
        do {
            return try parse()
        } catch {
            throw ArborError(.corruptFile, "the E2EE database holds \(what) that does not parse: restore the database from a backup")
        }
    }
}

extension Optional {
    func orThrow() throws -> Wrapped {
        guard let self else { throw ArborError(.corruptFile, "a stored value is out of range") }
        return self
    }
}

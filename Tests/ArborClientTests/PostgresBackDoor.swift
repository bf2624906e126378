import ArborCore
import ArborE2EE
import ArborTestSupport

/// The node's PostgreSQL database reached with psql while the node runs, and dumped with
/// `pg_dump`: the same changes as `SQLiteBackDoor`, on `ArborPostgres`'s tables.
struct PostgresBackDoor: E2EEBackDoor {
    let server: PostgresServer
    let database: String

    private func sql(_ text: String) throws -> String { try server.query(text, in: database) }
    private func bytea(_ bytes: [UInt8]) -> String { "'\\x\(Hex.encode(bytes))'::bytea" }
    private static let randomID = "decode(md5(random()::text), 'hex')"

    func storedBytes() async throws -> [UInt8] { try server.dump(database) }

    func messages(in conversation: ConversationID) async throws -> [(position: Int64, bytes: [UInt8])] {
        try sql(
            "SELECT position || ' ' || encode(bytes, 'hex') FROM e2ee_messages WHERE conversation = \(bytea(conversation.bytes)) ORDER BY position"
        ).split(separator: "\n").map { line in
            let parts = line.split(separator: " ")
            guard parts.count == 2, let position = Int64(parts[0]) else { throw ArborError(.malformedInput, "psql printed '\(line)'") }
            return (position, try Hex.decode(String(parts[1])))
        }
    }

    func replaceMessage(in conversation: ConversationID, position: Int64, with bytes: [UInt8]) async throws {
        let header = try SealedMessage(bytes: bytes).header
        let row = "conversation = \(bytea(conversation.bytes)) AND position = \(position)"
        // The id is unique per conversation: park the row's id first, as two swapped rows would collide.
        _ = try sql(
            """
            UPDATE e2ee_messages SET id = \(Self.randomID) WHERE \(row);
            UPDATE e2ee_messages SET bytes = \(bytea(bytes)), sender = \(bytea(header.sender.bytes)), epoch = \(header.epoch),
                is_stream = \(header.kind == .stream), id = CASE WHEN EXISTS (SELECT 1 FROM e2ee_messages
                WHERE conversation = \(bytea(conversation.bytes)) AND id = \(bytea(header.id.bytes))) THEN \(Self.randomID)
                ELSE \(bytea(header.id.bytes)) END
            WHERE \(row);
            """)
    }

    func appendMessage(in conversation: ConversationID, bytes: [UInt8]) async throws {
        let header = try SealedMessage(bytes: bytes).header
        _ = try sql(
            """
            WITH counter AS (UPDATE e2ee_conversations SET message_count = message_count + 1
                WHERE id = \(bytea(conversation.bytes)) RETURNING message_count)
            INSERT INTO e2ee_messages (conversation, position, id, epoch, sender, is_stream, bytes)
            SELECT \(bytea(conversation.bytes)), message_count, \(Self.randomID), \(header.epoch), \(bytea(header.sender.bytes)),
                \(header.kind == .stream), \(bytea(bytes)) FROM counter;
            """)
    }

    func envelope(in conversation: ConversationID, epoch: UInt32, recipient: AccountID) async throws -> [UInt8] {
        let hex = try sql(
            """
            SELECT encode(bytes, 'hex') FROM e2ee_envelopes WHERE conversation = \(bytea(conversation.bytes)) AND epoch = \(epoch)
                AND recipient = \(bytea(recipient.bytes))
            """)
        guard !hex.isEmpty else { throw ArborError(.notFound, "no envelope of epoch \(epoch) for \(recipient.hex)") }
        return try Hex.decode(hex)
    }

    func replaceEnvelope(in conversation: ConversationID, epoch: UInt32, recipient: AccountID, with bytes: [UInt8]) async throws {
        _ = try sql(
            """
            UPDATE e2ee_envelopes SET bytes = \(bytea(bytes)) WHERE conversation = \(bytea(conversation.bytes)) AND epoch = \(epoch)
                AND recipient = \(bytea(recipient.bytes))
            """)
    }

    func replaceIdentityPublicKeys(of account: AccountID, with keys: IdentityPublicKeys) async throws {
        _ = try sql(
            """
            UPDATE e2ee_accounts SET identity_receiving = \(bytea(keys.receiving)), identity_signing = \(bytea(keys.signing)),
                identity_pq_signing = \(bytea(keys.pqSigning)) WHERE id = \(bytea(account.bytes))
            """)
    }
}

import ArborCore
import ArborE2EE
import ArborOperations
import NIOCore
import PostgresNIO

extension PostgresE2EEStore {
    /// The position comes from the conversation's counter, raised in the same transaction: the
    /// update locks the row, so appends to one conversation queue, and a refused insert rolls the
    /// counter back, leaving no gap.
    public func appendMessage(_ message: StoredMessage) async throws -> Int64 {
        let conversation = message.conversation
        return try await transaction(
            refusing: Refusal(duplicate: { [id = message.id.hex] constraint in
                constraint == "e2ee_messages_id_key"
                    ? "message \(id) exists in conversation \(conversation.hex): send a new message under a new random id" : nil
            })
        ) { connection in
            let counted = try await connection.query(
                """
                UPDATE e2ee_conversations SET message_count = message_count + 1
                WHERE id = \(conversation.bytes.bytea) RETURNING message_count
                """, logger: logger
            ).collect()
            guard let position = try counted.first?.decode(Int64.self) else { throw Self.noConversation(conversation) }
            try await connection.query(
                """
                INSERT INTO e2ee_messages (conversation, position, id, epoch, sender, is_stream, bytes)
                VALUES (\(conversation.bytes.bytea), \(position), \(message.id.bytes.bytea), \(Int64(message.epoch)),
                    \(message.sender.bytes.bytea), \(message.isStream), \(message.bytes.bytea))
                """, logger: logger)
            return position
        }
    }

    public func messages(in conversation: ConversationID, after: Int64, limit: Int) async throws -> [StoredMessage] {
        try await rows(
            """
            SELECT \(unescaped: Self.messageColumns) FROM e2ee_messages
            WHERE conversation = \(conversation.bytes.bytea) AND position > \(after)
            ORDER BY position LIMIT \(Int64(max(0, limit)))
            """
        ).map { try Self.message($0, in: conversation) }
    }

    public func message(_ id: MessageID, in conversation: ConversationID) async throws -> StoredMessage? {
        try await rows(
            """
            SELECT \(unescaped: Self.messageColumns) FROM e2ee_messages
            WHERE conversation = \(conversation.bytes.bytea) AND id = \(id.bytes.bytea)
            """
        ).first.map { try Self.message($0, in: conversation) }
    }

    static let messageColumns = "position, id, epoch, sender, is_stream, bytes"

    static func message(_ row: PostgresRow, in conversation: ConversationID) throws -> StoredMessage {
        let (position, id, epoch, sender, isStream, bytes) = try row.decode((Int64, ByteBuffer, Int64, ByteBuffer, Bool, ByteBuffer).self)
        return StoredMessage(
            conversation: conversation, position: position, id: try parsed("a message id") { try MessageID(bytes: id.bytes) },
            epoch: try parsed("an epoch") { try UInt32(exactly: epoch).orThrow() }, sender: try accountID(sender), isStream: isStream,
            bytes: bytes.bytes)
    }
}

import ArborCore
import ArborE2EE
import ArborOperations
import Logging
import NIOCore
import PostgresNIO

extension PostgresE2EEStore {
    /// Under a lock on the stream's message row, so that two writers of one index queue and the
    /// second finds the count moved on.
    public func appendChunk(_ chunk: StoredChunk, stream: MessageID, in conversation: ConversationID) async throws {
        try await transaction { connection in
            try await Self.lockStream(stream, in: conversation, on: connection, logger: logger)
            let counted = try await connection.query(
                """
                SELECT count(*), coalesce(bool_or(is_final), false) FROM e2ee_chunks
                WHERE conversation = \(conversation.bytes.bytea) AND stream = \(stream.bytes.bytea)
                """, logger: logger
            ).collect()
            let (count, finished) = try counted.first?.decode((Int64, Bool).self) ?? (Int64(0), false)
            guard !finished else {
                throw ArborError(.conflict, "stream \(stream.hex) is finished: its final chunk is stored, and nothing comes after it")
            }
            guard chunk.index == count else {
                throw ArborError(.conflict, "stream \(stream.hex) has \(count) chunks: the next is chunk \(count), not \(chunk.index)")
            }
            try await connection.query(
                """
                INSERT INTO e2ee_chunks (conversation, stream, chunk_index, bytes, is_final)
                VALUES (\(conversation.bytes.bytea), \(stream.bytes.bytea), \(chunk.index), \(chunk.bytes.bytea), \(chunk.isFinal))
                """, logger: logger)
        }
    }

    public func chunks(of stream: MessageID, in conversation: ConversationID, from: Int64) async throws -> [StoredChunk] {
        try await rows(
            """
            SELECT chunk_index, bytes, is_final FROM e2ee_chunks
            WHERE conversation = \(conversation.bytes.bytea) AND stream = \(stream.bytes.bytea) AND chunk_index >= \(from)
            ORDER BY chunk_index
            """
        ).map { row in
            let (index, bytes, isFinal) = try row.decode((Int64, ByteBuffer, Bool).self)
            return StoredChunk(index: index, bytes: bytes.bytes, isFinal: isFinal)
        }
    }

    public func sealStream(_ stream: MessageID, in conversation: ConversationID, seal: [UInt8]) async throws {
        try await transaction(refusing: Refusal(duplicate: { _ in "stream \(stream.hex) is sealed already: a stream has one seal" })) {
            connection in
            try await Self.lockStream(stream, in: conversation, on: connection, logger: logger)
            let final = try await connection.query(
                """
                SELECT 1 FROM e2ee_chunks
                WHERE conversation = \(conversation.bytes.bytea) AND stream = \(stream.bytes.bytea) AND is_final
                """, logger: logger
            ).collect()
            guard !final.isEmpty else {
                throw ArborError(.conflict, "stream \(stream.hex) has no final chunk yet: seal it after its final chunk")
            }
            try await connection.query(
                """
                INSERT INTO e2ee_stream_seals (conversation, stream, seal)
                VALUES (\(conversation.bytes.bytea), \(stream.bytes.bytea), \(seal.bytea))
                """, logger: logger)
        }
    }

    public func streamState(of stream: MessageID, in conversation: ConversationID) async throws -> StreamState {
        let found = try await rows(
            """
            SELECT m.is_stream,
                (SELECT count(*) FROM e2ee_chunks c WHERE c.conversation = m.conversation AND c.stream = m.id),
                (SELECT coalesce(bool_or(c.is_final), false) FROM e2ee_chunks c WHERE c.conversation = m.conversation AND c.stream = m.id),
                (SELECT s.seal FROM e2ee_stream_seals s WHERE s.conversation = m.conversation AND s.stream = m.id)
            FROM e2ee_messages m WHERE m.conversation = \(conversation.bytes.bytea) AND m.id = \(stream.bytes.bytea)
            """)
        guard let row = found.first else { throw Self.noStream(stream, in: conversation) }
        let (isStream, count, finished, seal) = try row.decode((Bool, Int64, Bool, ByteBuffer?).self)
        guard isStream else { throw Self.notAStream(stream) }
        return StreamState(chunkCount: count, isFinished: finished, seal: seal?.bytes)
    }

    /// Locks the stream's message row for the transaction; `not found` without one, `conflict`
    /// when the message is not a stream.
    static func lockStream(_ stream: MessageID, in conversation: ConversationID, on connection: PostgresConnection, logger: Logger)
        async throws
    {
        let rows = try await connection.query(
            """
            SELECT is_stream FROM e2ee_messages
            WHERE conversation = \(conversation.bytes.bytea) AND id = \(stream.bytes.bytea) FOR UPDATE
            """, logger: logger
        ).collect()
        guard let isStream = try rows.first?.decode(Bool.self) else { throw noStream(stream, in: conversation) }
        guard isStream else { throw notAStream(stream) }
    }

    static func noStream(_ stream: MessageID, in conversation: ConversationID) -> ArborError {
        ArborError(.notFound, "stream \(stream.hex) does not exist in conversation \(conversation.hex): send its stream message first")
    }

    static func notAStream(_ stream: MessageID) -> ArborError {
        ArborError(.conflict, "message \(stream.hex) is a text message, not a stream: chunks go to a stream message")
    }
}

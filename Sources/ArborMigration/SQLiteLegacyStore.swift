import ArborCore
import GRDB

/// A legacy SQLite database of the shape docs/e2ee.md §15 gives: `conversations(id, title)`,
/// `participants(conversation_id, user)`, `messages(id, conversation_id, author, body,
/// created_at)`. Opened read-write only to purge after a confirmed migration.
public struct SQLiteLegacyStore: LegacyStore {
    let queue: DatabaseQueue

    public init(path: String) throws {
        var configuration = Configuration()
        configuration.label = "legacy"
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            _ = try queue.read { try Row.fetchOne($0, sql: "SELECT count(*) FROM messages") }
        } catch {
            throw ArborError(
                .malformedInput, "\(path) is not a legacy chat database (tables conversations, participants, messages: docs/e2ee.md §15)")
        }
    }

    public func conversations(of participant: String?) throws -> [LegacyConversation] {
        try queue.read { db in
            let rows =
                if let participant {
                    try Row.fetchAll(
                        db,
                        sql: """
                            SELECT id, title FROM conversations WHERE id IN
                            (SELECT conversation_id FROM participants WHERE user = ?) ORDER BY id
                            """, arguments: [participant])
                } else {
                    try Row.fetchAll(db, sql: "SELECT id, title FROM conversations ORDER BY id")
                }
            return try rows.map { row in
                let id: String = row["id"]
                let participants = try String.fetchAll(
                    db, sql: "SELECT user FROM participants WHERE conversation_id = ? ORDER BY user", arguments: [id])
                return LegacyConversation(id: id, title: row["title"] ?? "", participants: participants)
            }
        }
    }

    public func messageCount(in conversation: String) throws -> Int {
        try queue.read {
            try Int.fetchOne($0, sql: "SELECT count(*) FROM messages WHERE conversation_id = ?", arguments: [conversation]) ?? 0
        }
    }

    public func messages(in conversation: String, offset: Int, limit: Int) throws -> [LegacyMessage] {
        try queue.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT id, author, body, created_at FROM messages WHERE conversation_id = ?
                    ORDER BY created_at, id LIMIT ? OFFSET ?
                    """, arguments: [conversation, limit, offset]
            ).map { LegacyMessage(id: $0["id"], author: $0["author"], sentAt: $0["created_at"], text: $0["body"]) }
        }
    }

    public func purge(conversations: [String]) throws {
        try queue.write { db in
            for conversation in conversations {
                try db.execute(sql: "DELETE FROM messages WHERE conversation_id = ?", arguments: [conversation])
            }
        }
        // Deleted rows stay in free pages until the file is rebuilt.
        try queue.vacuum()
    }
}

/// A plaintext store an application used before end-to-end encryption (docs/e2ee.md §15): its
/// conversations and their messages, read in a stable order while the migration runs, and purged
/// only when the user confirms the migration.
public protocol LegacyStore: Sendable {
    /// Every conversation, in a stable order; with `participant`, only those it takes part in.
    func conversations(of participant: String?) throws -> [LegacyConversation]
    func messageCount(in conversation: String) throws -> Int
    /// Up to `limit` messages from position `offset`, ordered by time then id.
    func messages(in conversation: String, offset: Int, limit: Int) throws -> [LegacyMessage]
    /// Deletes the plaintext of these conversations for good (after a confirmed migration).
    func purge(conversations: [String]) throws
}

public struct LegacyConversation: Sendable, Equatable, Codable {
    public var id: String
    public var title: String
    public var participants: [String]

    public init(id: String, title: String, participants: [String]) {
        self.id = id
        self.title = title
        self.participants = participants
    }
}

public struct LegacyMessage: Sendable, Equatable, Codable {
    public var id: String
    public var author: String
    /// Unix seconds.
    public var sentAt: Int64
    public var text: String

    public init(id: String, author: String, sentAt: Int64, text: String) {
        self.id = id
        self.author = author
        self.sentAt = sentAt
        self.text = text
    }

    enum CodingKeys: String, CodingKey {
        case id, author, text
        case sentAt = "sent_at"
    }
}

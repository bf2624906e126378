import ArborCore
import ArborE2EE
import ArborMigration

/// A migration's destination on a node (docs/e2ee.md §15): the account's own conversations
/// through its session, each imported message sealed and signed here, read back through the same
/// reader as any history. Every call is idempotent, as `MigrationDestination` asks.
public actor NodeMigrationDestination: MigrationDestination {
    let session: E2EESession
    /// Conversations opened in this run, kept so that a batch does not read the membership again.
    private var opened: [ConversationID: E2EEConversation] = [:]

    public init(session: E2EESession) { self.session = session }

    public func openConversation(nonce: [UInt8]) async throws -> ConversationID {
        let conversation = try await session.ownConversation(nonce: nonce)
        opened[conversation.id] = conversation
        return conversation.id
    }

    public func append(_ message: ImportedMessage, id: MessageID, to conversation: ConversationID) async throws -> Bool {
        try await open(conversation).sendImported(message, id: id)
    }

    public func importedMessages(in conversation: ConversationID) async throws -> [MessageID: ImportedMessage] {
        let opened = try await open(conversation)
        try await opened.refresh()
        return await opened.importedMessages
    }

    public func deleteConversation(_ conversation: ConversationID) async throws {
        opened[conversation] = nil
        try await session.deleteConversation(conversation)
    }

    private func open(_ id: ConversationID) async throws -> E2EEConversation {
        if let known = opened[id] { return known }
        let conversation = try await session.conversation(id)
        opened[id] = conversation
        return conversation
    }
}

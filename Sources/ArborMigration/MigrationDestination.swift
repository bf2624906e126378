import ArborE2EE

/// Where a migration writes: the migrating account's end-to-end encrypted conversations on a node
/// (through `ArborClient`), or an in-memory stand-in in tests. Each call is idempotent, so a
/// migration that stopped anywhere can run again.
public protocol MigrationDestination: Sendable {
    /// The conversation this account makes with `nonce` (docs/e2ee.md §11), created with the
    /// account as its only member if it does not exist yet.
    func openConversation(nonce: [UInt8]) async throws -> ConversationID
    /// Encrypts and stores `message` under `id` (kind imported). False when a message with that id
    /// is stored already (written by an earlier run).
    func append(_ message: ImportedMessage, id: MessageID, to conversation: ConversationID) async throws -> Bool
    /// Every imported message of the conversation, read back and checked as any reader does.
    func importedMessages(in conversation: ConversationID) async throws -> [MessageID: ImportedMessage]
    /// Removes the conversation and everything in it (a rollback).
    func deleteConversation(_ conversation: ConversationID) async throws
}

import ArborCore
import ArborE2EE
import ArborMigration
import ArborTestSupport
import Foundation
import Testing

@testable import ArborClient

/// The migration's destination on a real node (docs/e2ee.md §15): every call idempotent, as
/// `MigrationDestination` asks, and a whole migration of a JSON export through the SDK.
@Suite("NodeMigrationDestination through a real node", .serialized)
struct NodeMigrationDestinationTests {
    @Test("open twice, append twice, read back, delete twice; a migration verifies")
    func idempotentCalls() async throws {
        let node = try await E2EETestNode.start(.sqlite)
        defer { node.remove() }
        let client = try ArborE2EEClient(node: node.url)
        let alice = try await TestAccount.signUp("alice", on: client)
        let destination = NodeMigrationDestination(session: alice.session)

        let nonce = randomBytes(ConversationID.nonceSize)
        let conversation = try await destination.openConversation(nonce: nonce)
        #expect(try await destination.openConversation(nonce: nonce) == conversation)
        #expect(try await alice.session.conversationIDs() == [conversation])

        let message = ImportedMessage(author: "bob", legacyID: "m1", sentAt: 1_600_000_000, text: Marked.text("imported"))
        let id = MessageID.random()
        #expect(try await destination.append(message, id: id, to: conversation))
        #expect(try await destination.append(message, id: id, to: conversation) == false)
        // A fresh destination (another run) knows nothing of it but the node's answer.
        #expect(try await NodeMigrationDestination(session: alice.session).append(message, id: id, to: conversation) == false)
        let opened = try await alice.session.conversation(conversation)
        try await opened.send("not imported")
        #expect(try await destination.importedMessages(in: conversation) == [id: message])

        try await destination.deleteConversation(conversation)
        try await destination.deleteConversation(conversation)
        #expect(try await alice.session.conversationIDs().isEmpty)

        // A whole migration through the SDK.
        let directory = NSTemporaryDirectory() + "arbor-node-migration-" + UUID().uuidString
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let export = directory + "/export.json"
        try Data(
            #"{"conversations": [{"id": "j1", "participants": ["alice"], "messages": [{"id": "a", "author": "alice", "sent_at": 1, "text": "first"}, {"id": "b", "author": "bob", "sent_at": 2, "text": "second"}]}]}"#
                .utf8
        ).write(to: URL(fileURLWithPath: export))
        let migration = try await alice.session.plaintextMigration(
            from: try JSONLegacyExport(path: export), stateFile: MigrationStateFile(beside: export), participant: "alice",
            password: SecretBytes(copying: Array(alice.password.utf8)))
        #expect(try await migration.run(batchSize: 1).written == 2)
        #expect(try await migration.verify().isComplete)
        try await node.stop()
    }
}

import ArborCore
import ArborE2EE
import ArborTestSupport
import Foundation
import Testing

@testable import ArborClient

/// Issue 12, point 4: a dishonest node (or whoever gets at its database) changes what it stores,
/// directly in the database while the node runs; the client's read catches each change with the
/// refusal docs/e2ee.md §13 names, and reads on after it.
@Suite("tampering in the node's database is caught by the client", .serialized, .postgresServer)
struct E2EETamperTests {
    /// A node, Alice and Bob in a conversation, and Alice's messages.
    struct Scene {
        let node: E2EETestNode
        let client: ArborE2EEClient
        let alice: TestAccount
        let bob: TestAccount
        let conversation: E2EEConversation

        static func make(_ kind: E2EEStoreKind, messages: [String]) async throws -> Scene {
            let node = try await E2EETestNode.start(kind)
            let client = try ArborE2EEClient(node: node.url)
            let alice = try await TestAccount.signUp("alice", on: client)
            let bob = try await TestAccount.signUp("bob", on: client)
            let conversation = try await alice.session.createConversation(with: [bob.name])
            for message in messages { try await conversation.send(message) }
            return Scene(node: node, client: client, alice: alice, bob: bob, conversation: conversation)
        }

        /// Bob's view, read afresh from the node.
        func bobReads() async throws -> E2EEConversation {
            try await bob.signIn(on: client).conversation(conversation.id)
        }

        func end() async throws {
            try await node.stop()
            node.remove()
        }
    }

    @Test(
        "a key envelope swapped for one from another conversation: rejected, and the messages are 'no matching key'",
        arguments: E2EEStoreKind.available)
    func swappedEnvelope(kind: E2EEStoreKind) async throws {
        let scene = try await Scene.make(kind, messages: ["one"])
        let mallory = try await TestAccount.signUp("mallory", on: scene.client)
        let other = try await mallory.session.createConversation(with: [scene.bob.name])
        let foreign = try await scene.node.backDoor.envelope(in: other.id, epoch: 0, recipient: scene.bob.session.account)
        try await scene.node.backDoor.replaceEnvelope(
            in: scene.conversation.id, epoch: 0, recipient: scene.bob.session.account, with: foreign)

        let bobs = try await scene.bobReads()
        #expect(await bobs.refusals == [.noMatchingKey])
        let rejected = await bobs.rejectedEnvelopes
        #expect(rejected.count == 1, "\(rejected)")
        #expect(await bobs.writingEpoch == nil)
        try await scene.end()
    }

    @Test(
        "another account's identity keys handed out: Alice's own sign-in refuses the record ('conflict')",
        arguments: E2EEStoreKind.available)
    func swappedIdentity(kind: E2EEStoreKind) async throws {
        let scene = try await Scene.make(kind, messages: ["one"])
        let bobKeys = await scene.bob.session.identity.publicKeys
        try await scene.node.backDoor.replaceIdentityPublicKeys(of: scene.alice.session.account, with: bobKeys)
        await #expect(throws: ArborError(.conflict, "")) { _ = try await scene.alice.signIn(on: scene.client) }
        // Bob, told Bob's keys are Alice's, finds neither her envelopes nor her messages signed by her.
        let bobs = try await scene.bobReads()
        #expect(await bobs.refusals == [.noMatchingKey])
        #expect(!(await bobs.rejectedEnvelopes.isEmpty))
        try await scene.end()
    }

    @Test("an old message replayed at a later position: 'replayed'", arguments: E2EEStoreKind.available)
    func replayedMessage(kind: E2EEStoreKind) async throws {
        let scene = try await Scene.make(kind, messages: ["one", "two"])
        let stored = try await scene.node.backDoor.messages(in: scene.conversation.id)
        try await scene.node.backDoor.appendMessage(in: scene.conversation.id, bytes: stored[0].bytes)
        let bobs = try await scene.bobReads()
        #expect(await bobs.texts == ["one", "two", nil])
        #expect(await bobs.refusals == [nil, nil, .replayed])
        try await scene.end()
    }

    /// The message moved up reads, with the one it answers reported missing; the one moved down
    /// comes after a later message of its sender (and after a reply to it): `reordered`.
    @Test("two messages swapped: the second is 'reordered', the first shows one missing", arguments: E2EEStoreKind.available)
    func reorderedMessages(kind: E2EEStoreKind) async throws {
        let scene = try await Scene.make(kind, messages: ["one", "two", "three"])
        let backDoor = scene.node.backDoor
        let stored = try await backDoor.messages(in: scene.conversation.id)
        try await backDoor.replaceMessage(in: scene.conversation.id, position: stored[0].position, with: stored[1].bytes)
        try await backDoor.replaceMessage(in: scene.conversation.id, position: stored[1].position, with: stored[0].bytes)
        let bobs = try await scene.bobReads()
        #expect(await bobs.texts == ["two", nil, "three"])
        #expect(await bobs.refusals == [nil, .reordered, nil])
        #expect(await bobs.history.first?.message?.missingBefore == 1)
        try await scene.end()
    }

    @Test("the claimed sender changed to another member: 'authentication failed'", arguments: E2EEStoreKind.available)
    func changedSender(kind: E2EEStoreKind) async throws {
        let scene = try await Scene.make(kind, messages: ["one", "two"])
        let stored = try await scene.node.backDoor.messages(in: scene.conversation.id)
        var forged = stored[1].bytes
        forged.replaceSubrange(38..<54, with: scene.bob.session.account.bytes)
        try await scene.node.backDoor.replaceMessage(in: scene.conversation.id, position: stored[1].position, with: forged)
        let bobs = try await scene.bobReads()
        #expect(await bobs.texts == ["one", nil])
        #expect(await bobs.refusals == [nil, .authenticationFailed])
        try await scene.end()
    }
}

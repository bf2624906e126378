import ArborCore
import ArborE2EE
import ArborMigration
import NIOHTTP1

extension E2EESession {
    /// The conversation this account makes with `nonce`, with the account as its only member:
    /// created if the node does not hold it yet, opened if it does (the id derives from the
    /// creator and the nonce, so a `409` on creation means an earlier call made it).
    public func ownConversation(nonce: [UInt8]) async throws -> E2EEConversation {
        let id = try ConversationID(creator: account, nonce: nonce)
        let envelope = try KeyEnvelope.seal(
            EpochKey.random(), conversation: id, epoch: 0, recipient: account, recipientKeys: identity.publicKeys, adder: account,
            adderIdentity: keys.identity)
        do {
            try await transport.call(
                .POST, "/v1/e2ee/conversations",
                body: WireCreateConversation(conversation: id.hex, nonce: WireBytes(nonce), envelopes: [WireBytes(envelope.bytes)]),
                session: token)
        } catch let error as ArborError where error.code == .conflict {
            // Made by an earlier call: opened below, its own key envelope read from the node.
        }
        return try await conversation(id)
    }

    /// Deletes a conversation this account created, and everything in it. Deleting one that is
    /// gone already succeeds, so a rollback that stopped half-way runs again.
    public func deleteConversation(_ id: ConversationID) async throws {
        do {
            try await transport.call(.DELETE, "/v1/e2ee/conversations/\(id.hex)", session: token)
        } catch let error as ArborError where error.code == .notFound {
            return
        }
    }

    /// A migration of `source` into this account's conversations on the node (docs/e2ee.md §15).
    /// `password` opens the account's keys once more: the ids a migration writes derive from its
    /// master key, which `AccountKeys` holds and a session keeps to itself.
    public func plaintextMigration(
        from source: any LegacyStore, stateFile: MigrationStateFile, participant: String?, password: SecretBytes
    ) throws -> PlaintextMigration {
        let keys = try AccountKeys.signIn(password: password, record: accountRecord)
        guard keys.account == account else { throw ArborError(.conflict, "the password opened another account than this session's") }
        return PlaintextMigration(
            source: source, destination: NodeMigrationDestination(session: self), keys: keys, stateFile: stateFile,
            participant: participant)
    }
}

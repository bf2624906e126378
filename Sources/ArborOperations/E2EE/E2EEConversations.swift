import ArborCore
import ArborE2EE

/// Conversations and their key envelopes (docs/e2ee.md §11, §12, §16). The node checks what it
/// can without keys, so that an honest client's mistake is a clear refusal: the id commits to
/// the caller as creator, every envelope is the caller's (adder = caller, signed by the caller's
/// identity), and epochs grow one at a time, each opened once with all its envelopes.
public struct E2EEConversations: Sendable {
    /// The most envelopes one request adds (a conversation's members at once).
    public static let maximumEnvelopes = 256

    let store: any E2EEStore

    public init(store: any E2EEStore) { self.store = store }

    /// A new conversation by `caller`, with the envelopes of epoch 0 (the caller's among them).
    public func create(by caller: AccountID, id: ConversationID, nonce: [UInt8], envelopes: [[UInt8]], now: Int64) async throws {
        guard (try ConversationID(creator: caller, nonce: nonce)) == id else {
            throw ArborError(.conflict, "conversation \(id) is not the id account \(caller) makes with this nonce")
        }
        let parsed = try await signedEnvelopes(envelopes, by: caller, in: id)
        guard parsed.allSatisfy({ $0.epoch == 0 }) else {
            throw ArborError(.conflict, "a new conversation's envelopes are all of epoch 0")
        }
        guard parsed.contains(where: { $0.recipient == caller }) else {
            throw ArborError(.invalidArgument, "a new conversation holds an envelope for its creator")
        }
        try await store.createConversation(
            StoredConversation(id: id, creator: caller, nonce: nonce, createdAt: now), envelopes: parsed.map(Self.stored))
    }

    public func conversations(of caller: AccountID) async throws -> [ConversationID] {
        try await store.conversations(of: caller)
    }

    /// The conversation and all its envelopes, for a caller who holds one of them.
    public func conversation(_ id: ConversationID, for caller: AccountID) async throws -> (StoredConversation, [StoredEnvelope]) {
        let membership = try await E2EEMembership.load(id, from: store)
        try membership.requireParticipant(caller)
        return (membership.conversation, membership.envelopes)
    }

    /// Deletes a conversation and everything in it: its creator only (a migration's rollback, a
    /// user deleting a chat). The other members' copies of what they read stay theirs.
    public func delete(_ id: ConversationID, by caller: AccountID) async throws {
        guard let conversation = try await store.conversation(id) else { throw ArborError(.notFound, "there is no conversation \(id)") }
        guard conversation.creator == caller else {
            throw ArborError(.notAuthorised, "only the creator of conversation \(id) deletes it")
        }
        _ = try await store.deleteConversation(id)
    }

    /// Adds envelopes by `caller`, a member of the newest epoch: all of the newest epoch (adding
    /// participants), or all of the next one (opening it, once).
    public func addEnvelopes(_ envelopes: [[UInt8]], to id: ConversationID, by caller: AccountID) async throws {
        let membership = try await E2EEMembership.load(id, from: store)
        guard let newest = membership.newestEpoch else { throw ArborError(.conflict, "conversation \(id) has no epoch") }
        try membership.requireMember(caller, epoch: newest)
        let parsed = try await signedEnvelopes(envelopes, by: caller, in: id)
        let epochs = Set(parsed.map(\.epoch))
        guard epochs.count == 1, let epoch = epochs.first else {
            throw ArborError(.invalidArgument, "the envelopes of one request are all of one epoch")
        }
        let opening: Bool
        switch epoch {
        case newest: opening = false
        case newest &+ 1 where newest < UInt32.max:
            // The opener holds a key of what it opens, as clients require (docs/e2ee.md §11); an
            // epoch without one would count for nothing and block every later removal.
            guard parsed.contains(where: { $0.recipient == caller }) else {
                throw ArborError(.invalidArgument, "an epoch is opened with an envelope for its opener; leaving is done by another member")
            }
            opening = true
        default:
            throw ArborError(
                .conflict,
                "epoch \(epoch) is neither the newest (\(newest)) nor the next: envelopes go to the newest epoch or open the next")
        }
        try await store.addEnvelopes(parsed.map(Self.stored), to: id, opening: opening)
    }

    /// The envelopes, parsed, each of this conversation, added and signed by `caller`, with no
    /// recipient twice.
    private func signedEnvelopes(_ envelopes: [[UInt8]], by caller: AccountID, in id: ConversationID) async throws -> [KeyEnvelope] {
        guard (1...Self.maximumEnvelopes).contains(envelopes.count) else {
            throw ArborError(.invalidArgument, "a request carries 1 to \(Self.maximumEnvelopes) envelopes")
        }
        guard let account = try await store.account(caller) else { throw ArborError(.notFound, "there is no account \(caller)") }
        var recipients = Set<AccountID>()
        return try envelopes.enumerated().map { index, bytes in
            let envelope = try KeyEnvelope(bytes: bytes)
            guard envelope.conversation == id else {
                throw ArborError(.conflict, "envelope \(index) is for conversation \(envelope.conversation), not \(id)")
            }
            guard envelope.adder == caller else {
                throw ArborError(.notAuthorised, "envelope \(index) names account \(envelope.adder) as its adder, not the caller")
            }
            guard envelope.isSigned(by: account.record.identityPublicKeys) else {
                throw ArborError(.authenticationFailed, "envelope \(index) is not signed by the caller's identity")
            }
            guard recipients.insert(envelope.recipient).inserted else {
                throw ArborError(.conflict, "account \(envelope.recipient) receives two envelopes of one epoch")
            }
            return envelope
        }
    }

    static func stored(_ envelope: KeyEnvelope) -> StoredEnvelope {
        StoredEnvelope(epoch: envelope.epoch, recipient: envelope.recipient, adder: envelope.adder, bytes: envelope.bytes)
    }
}

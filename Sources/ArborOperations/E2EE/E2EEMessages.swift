import ArborCore
import ArborE2EE

/// Messages (docs/e2ee.md §13, §16): the node appends what a member of the newest epoch sends in
/// that epoch, under its own name and signed by it, and numbers messages in arrival order. A
/// removed member, who still holds the older epochs' keys, writes nothing more.
public struct E2EEMessages: Sendable {
    public static let maximumPage = 500

    let store: any E2EEStore

    public init(store: any E2EEStore) { self.store = store }

    /// Appends `bytes` (a sealed message) to the conversation; returns its position.
    public func post(_ bytes: [UInt8], to id: ConversationID, by caller: AccountID) async throws -> Int64 {
        let message = try SealedMessage(bytes: bytes)
        let header = message.header
        guard header.conversation == id else {
            throw ArborError(.conflict, "the message is for conversation \(header.conversation), not \(id)")
        }
        guard header.sender == caller else {
            throw ArborError(.notAuthorised, "the message names account \(header.sender) as its sender, not the caller")
        }
        let membership = try await E2EEMembership.load(id, from: store)
        try membership.requireMember(caller, epoch: header.epoch)
        try membership.requireNewest(header.epoch)
        guard let account = try await store.account(caller), message.isSigned(by: account.record.identityPublicKeys) else {
            throw ArborError(.authenticationFailed, "the message is not signed by the caller's identity")
        }
        return try await store.appendMessage(
            StoredMessage(
                conversation: id, id: header.id, epoch: header.epoch, sender: caller, isStream: header.kind == .stream,
                bytes: message.bytes))
    }

    /// Up to `limit` messages after position `after`, for a participant.
    public func messages(in id: ConversationID, after: Int64, limit: Int, for caller: AccountID) async throws -> [StoredMessage] {
        guard after >= 0, (1...Self.maximumPage).contains(limit) else {
            throw ArborError(.invalidArgument, "after is 0 or more, and limit 1 to \(Self.maximumPage)")
        }
        try await E2EEMembership.load(id, from: store).requireParticipant(caller)
        return try await store.messages(in: id, after: after, limit: limit)
    }
}

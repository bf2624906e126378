import ArborCore
import ArborE2EE

/// What the node knows of who may do what in a conversation: the recipients of its envelopes,
/// by epoch (docs/e2ee.md §11). The node does not open or fully validate envelopes (clients
/// do); it checks that a caller holds an envelope of the epoch it acts in.
struct E2EEMembership {
    let conversation: StoredConversation
    let envelopes: [StoredEnvelope]

    static func load(_ id: ConversationID, from store: any E2EEStore) async throws -> E2EEMembership {
        guard let conversation = try await store.conversation(id) else {
            throw ArborError(.notFound, "there is no conversation \(id)")
        }
        return E2EEMembership(conversation: conversation, envelopes: try await store.envelopes(in: id))
    }

    var newestEpoch: UInt32? { envelopes.map(\.epoch).max() }

    func holds(_ account: AccountID, epoch: UInt32) -> Bool {
        envelopes.contains { $0.recipient == account && $0.epoch == epoch }
    }

    /// `not authorised` unless `account` holds an envelope of any epoch.
    func requireParticipant(_ account: AccountID) throws {
        guard envelopes.contains(where: { $0.recipient == account }) else {
            throw ArborError(.notAuthorised, "account \(account) is not a participant of conversation \(conversation.id)")
        }
    }

    /// `not authorised` unless `account` holds an envelope of `epoch`.
    func requireMember(_ account: AccountID, epoch: UInt32) throws {
        guard holds(account, epoch: epoch) else {
            throw ArborError(.notAuthorised, "account \(account) holds no key of epoch \(epoch) of conversation \(conversation.id)")
        }
    }

    /// Writing happens in the newest epoch only (`conflict` otherwise: the writer reads the
    /// conversation again and writes there), so a removed member writes nothing more.
    func requireNewest(_ epoch: UInt32) throws {
        guard epoch == newestEpoch else {
            throw ArborError(
                .conflict,
                "epoch \(epoch) of conversation \(conversation.id) is not the newest (\(newestEpoch.map(String.init) ?? "none")): read the conversation again and write in the newest epoch"
            )
        }
    }
}

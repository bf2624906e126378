import ArborCore

/// Reads a conversation's messages in the order the node delivers them and refuses what a
/// dishonest node could do to them (docs/e2ee.md §13): a message from a non-member or with a
/// changed sender or byte (`authentication failed`), a replay (`replayed`), a sender's messages out
/// of order or a message delivered after a reply to it (`reordered`). Withheld messages show as a
/// gap: in a sender's sequence, or a reply to a message not delivered. A refused message changes
/// nothing, so reading goes on after it.
public struct ConversationReader: Sendable {
    public struct Read: Sendable {
        public let message: SealedMessage
        public let plaintext: [UInt8]
        /// How many of this sender's messages before this one were never delivered.
        public let missingBefore: UInt64
        /// Whether it answers a message not delivered (yet): that message, if it comes later, is
        /// refused as reordered.
        public let answersMissing: Bool
    }

    public let conversation: ConversationID
    private var seen: Set<MessageID> = []
    private var lastSequence: [AccountID: UInt64] = [:]
    /// Messages that a message already read answers, but that were not delivered before it.
    private var answeredBeforeDelivery: Set<MessageID> = []
    /// The last message read, which a message written next names as `previous`.
    public private(set) var lastRead: MessageID = .none

    public init(conversation: ConversationID) { self.conversation = conversation }

    /// The sequence number `account`'s next message takes.
    public func nextSequence(for account: AccountID) -> UInt64 { (lastSequence[account] ?? 0) + 1 }

    public mutating func read(
        _ message: SealedMessage, membership: ConversationMembership, epochKeys: [UInt32: EpochKey],
        identities: [AccountID: IdentityPublicKeys]
    ) throws -> Read {
        let header = message.header
        guard header.conversation == conversation else {
            throw ArborError(
                .conflict, "message \(header.id.hex) belongs to conversation \(header.conversation.hex), not \(conversation.hex)")
        }
        guard let epochKey = epochKeys[header.epoch] else {
            throw ArborError(.noMatchingKey, "message \(header.id.hex) is in epoch \(header.epoch), whose key this account does not hold")
        }
        guard membership.isMember(header.sender, of: header.epoch), let senderKeys = identities[header.sender] else {
            throw ArborError(
                .authenticationFailed,
                "message \(header.id.hex) claims a sender, \(header.sender.hex), who is not a member of epoch \(header.epoch)")
        }
        guard message.isSigned(by: senderKeys) else {
            throw ArborError(.authenticationFailed, "message \(header.id.hex) is not signed by its sender \(header.sender.hex)")
        }
        let plaintext = try message.open(epochKey: epochKey)
        guard !seen.contains(header.id) else {
            throw ArborError(.replayed, "message \(header.id.hex) was delivered before")
        }
        let last = lastSequence[header.sender] ?? 0
        guard header.sequence > last else {
            throw ArborError(
                .reordered, "message \(header.id.hex) is number \(header.sequence) of its sender, delivered after number \(last)")
        }
        guard !answeredBeforeDelivery.contains(header.id) else {
            throw ArborError(.reordered, "message \(header.id.hex) was delivered after a message that answers it")
        }
        let answersMissing = header.previous != .none && !seen.contains(header.previous)
        if answersMissing { answeredBeforeDelivery.insert(header.previous) }
        seen.insert(header.id)
        lastSequence[header.sender] = header.sequence
        lastRead = header.id
        return Read(message: message, plaintext: plaintext, missingBefore: header.sequence - last - 1, answersMissing: answersMissing)
    }
}

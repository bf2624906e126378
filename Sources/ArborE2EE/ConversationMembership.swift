import ArborCore

/// Who is in each epoch of a conversation, as a client works it out from the envelopes the server
/// returns (docs/e2ee.md §11), trusting none of them unchecked. An envelope (epoch e, recipient R,
/// adder A) counts when A's hybrid signature verifies and A is the creator (epoch 0), a member of
/// e (adding R), or a member of e − 1 (opening e). Each epoch has one opener (the creator for epoch
/// 0), who must hold a key of it: a second opener's envelopes, and an epoch whose opener gave
/// itself no key, count for nothing, so a removed member cannot slip a key of its own to the
/// others unseen. Envelopes that do not count are kept in `rejected` with the reason, for the
/// client to show.
public struct ConversationMembership: Sendable {
    public struct Rejection: Sendable {
        public let envelope: KeyEnvelope
        public let reason: String
    }

    public let conversation: ConversationID
    public let creator: AccountID
    public private(set) var members: [UInt32: Set<AccountID>] = [:]
    public private(set) var rejected: [Rejection] = []
    private var accepted: [UInt32: [AccountID: KeyEnvelope]] = [:]
    /// Who opened each epoch.
    public private(set) var openers: [UInt32: AccountID] = [:]

    /// `identities` are the public keys the client has for the accounts involved (from the node;
    /// their safety numbers are what people compare). `conflict` when the conversation id does not
    /// come from `creator` and `nonce`.
    public init(
        conversation: ConversationID, creator: AccountID, nonce: [UInt8], envelopes: [KeyEnvelope],
        identities: [AccountID: IdentityPublicKeys]
    ) throws {
        try conversation.check(creator: creator, nonce: nonce)
        self.conversation = conversation
        self.creator = creator
        let byEpoch = Dictionary(grouping: envelopes, by: \.epoch)
        for epoch in byEpoch.keys.sorted() {
            var pending = byEpoch[epoch] ?? []
            // Members added by members of the same epoch count once their adder does: repeat until
            // nothing more is accepted.
            var progressed = true
            while progressed {
                progressed = false
                var waiting: [KeyEnvelope] = []
                for envelope in pending {
                    if let problem = problem(with: envelope, identities: identities) {
                        if problem.isFinal {
                            rejected.append(Rejection(envelope: envelope, reason: problem.text))
                        } else {
                            waiting.append(envelope)
                        }
                    } else {
                        accept(envelope)
                        progressed = true
                    }
                }
                pending = waiting
            }
            rejected += pending.map {
                Rejection(envelope: $0, reason: "account \($0.adder.hex) was not a member of epoch \($0.epoch) or \($0.epoch &- 1)")
            }
            if let opener = openers[epoch], !isMember(opener, of: epoch) {
                rejected += (accepted[epoch] ?? [:]).values.map {
                    Rejection(envelope: $0, reason: "epoch \(epoch)'s opener, account \(opener.hex), holds no key of it")
                }
                accepted[epoch] = nil
                members[epoch] = nil
            }
        }
    }

    public var newestEpoch: UInt32? { members.keys.max() }

    public func isMember(_ account: AccountID, of epoch: UInt32) -> Bool { members[epoch]?.contains(account) ?? false }

    /// The accepted envelope that carries `epoch`'s key to `recipient`.
    public func envelope(for recipient: AccountID, epoch: UInt32) -> KeyEnvelope? { accepted[epoch]?[recipient] }

    private struct Problem {
        let text: String
        /// False when the envelope may still count once more members of its epoch are known.
        let isFinal: Bool
    }

    private func problem(with envelope: KeyEnvelope, identities: [AccountID: IdentityPublicKeys]) -> Problem? {
        guard envelope.conversation == conversation else {
            return Problem(text: "it belongs to conversation \(envelope.conversation.hex)", isFinal: true)
        }
        guard accepted[envelope.epoch]?[envelope.recipient] == nil else {
            return Problem(text: "account \(envelope.recipient.hex) already has a key for epoch \(envelope.epoch)", isFinal: true)
        }
        guard let adderKeys = identities[envelope.adder] else {
            return Problem(text: "the identity of account \(envelope.adder.hex) is unknown", isFinal: true)
        }
        let epoch = envelope.epoch
        let opens = (epoch == 0 && envelope.adder == creator) || (epoch > 0 && isMember(envelope.adder, of: epoch - 1))
        guard isMember(envelope.adder, of: epoch) || opens else { return Problem(text: "not entitled yet", isFinal: false) }
        guard envelope.isSigned(by: adderKeys) else {
            return Problem(text: "its signature does not verify under account \(envelope.adder.hex)'s identity", isFinal: true)
        }
        if !isMember(envelope.adder, of: epoch), let opener = openers[epoch], opener != envelope.adder {
            return Problem(text: "epoch \(epoch) was opened by account \(opener.hex); a second opener is refused", isFinal: true)
        }
        return nil
    }

    private mutating func accept(_ envelope: KeyEnvelope) {
        if !isMember(envelope.adder, of: envelope.epoch), openers[envelope.epoch] == nil { openers[envelope.epoch] = envelope.adder }
        accepted[envelope.epoch, default: [:]][envelope.recipient] = envelope
        members[envelope.epoch, default: []].insert(envelope.recipient)
    }
}

import ArborCore
import ArborSeal

/// Sealing a message for another node of the cluster and opening one (docs/cluster.md, "Messages
/// between nodes"): sealed as an age file to the recipient's prekey or X-Wing key, signed with
/// the sender's hybrid key; opened at most once.
public enum NodeMessages {
    /// How long a message may wait for an offline recipient, and so how long its id is remembered.
    public static let defaultMaximumAge: Int64 = 30 * 86_400
    /// How far ahead of the recipient's clock a message's time may be.
    public static let maximumClockSkew: Int64 = 300

    /// Seals `payload` for `recipient` and signs it as `sender`.
    /// - Parameters:
    ///   - messageID: 16 bytes; random unless a test fixes it.
    ///   - time: Unix seconds; the caller reads the clock.
    public static func seal(
        _ payload: [UInt8], from sender: NodeSecret, chain: CertificateChain, to recipient: NodeMessageRecipient,
        cluster: KeyID, messageID: [UInt8] = randomMessageID(), at time: Int64
    ) throws -> NodeMessage {
        let keys = try sender.keySet()
        let inner = NodeMessagePayload(senderKeyID: keys.keyID, messageID: messageID, payload: payload)
        let ciphertext = try Age.encrypt(inner.encoded, to: [recipient.recipient])
        return try NodeMessage(
            cluster: cluster, recipient: recipient.path, recipientKeyID: recipient.keyID, prekeyID: recipient.prekeyID,
            messageID: messageID, time: time, ciphertext: ciphertext, signer: keys, chain: chain)
    }

    public static func randomMessageID() -> [UInt8] {
        randomBytes(NodeMessage.messageIDSize)
    }

    /// Opens a message addressed to this node, once. In order: it parses; the sender's chain
    /// verifies to the cluster root with `revocations` and the signature holds
    /// (`NodeMessage.verify`); it is for this node at its current key (`no matching key`); its
    /// time is within `maximumAge` before `now` and not ahead (`replayed`); then the store opens
    /// it at most once (`replayed`, `no matching key` for a prekey used already), deleting the
    /// prekey's secret; the sealed sender and id are the signed ones (`authentication failed`).
    /// - Parameter now: Unix seconds; the caller reads the clock.
    public static func open(
        _ bytes: [UInt8], as me: NodeSecret, root: TrustAnchor, revocations: RevocationList, store: some NodeMessageStore,
        maximumAge: Int64 = defaultMaximumAge, at now: Int64
    ) throws -> ReceivedNodeMessage {
        let message = try NodeMessage(encoded: bytes)
        let signer = try message.verify(root: root, revocations: revocations, at: now)
        let keys = try me.keySet()
        guard message.recipient == me.path else {
            throw ArborError(
                .noMatchingKey, "the message from \(message.sender) is for \(message.recipient), not for this node (\(me.path))")
        }
        guard message.recipientKeyID == keys.keyID else {
            throw ArborError(
                .noMatchingKey,
                "the message from \(message.sender) is sealed for key \(message.recipientKeyID.shortHex) of \(me.path), not for its current key \(keys.keyID.shortHex)"
            )
        }
        guard message.time <= now + maximumClockSkew, now - message.time <= maximumAge else {
            throw ArborError(
                .replayed,
                "the message from \(message.sender) was sealed at \(message.time), outside the window of \(maximumAge) s before now")
        }
        let payload = try store.consume(
            messageID: message.messageID, prekeyID: message.prekeyID, keepUntil: message.time + maximumAge, now: now
        ) { prekey -> NodeMessagePayload in
            if message.prekeyID != 0, prekey?.id != message.prekeyID {
                throw ArborError(.noMatchingKey, "prekey \(message.prekeyID) of this node is not held")
            }
            let identity = prekey.map { AgeIdentity.postQuantum($0.privateKey) } ?? AgeIdentity.postQuantum(of: keys)
            let inner = try NodeMessagePayload(encoded: try Age.decrypt(message.ciphertext, identities: [identity]))
            try inner.check(against: message)
            return inner
        }
        return ReceivedNodeMessage(
            sender: signer.path, senderKeyID: signer.keyID, messageID: message.messageID, time: message.time,
            prekeyID: message.prekeyID, payload: payload.payload)
    }
}

/// A message that opened: who sent it (its chain verified), when, and what.
public struct ReceivedNodeMessage: Sendable, Equatable {
    public let sender: TreePath
    public let senderKeyID: KeyID
    public let messageID: [UInt8]
    public let time: Int64
    /// The prekey it was sealed to (its secret is gone now); 0 for the node's own key.
    public let prekeyID: UInt32
    public let payload: [UInt8]

    /// Whether it had forward secrecy (a one-time prekey).
    public var wasForwardSecret: Bool { prekeyID != 0 }
}

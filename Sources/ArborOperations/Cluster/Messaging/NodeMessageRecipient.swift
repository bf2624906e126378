import ArborCore
import ArborSeal

/// Whom a message is sealed to: a node whose chain verified, and either one of its one-time
/// prekeys (forward secrecy: the node deletes the prekey's secret once the message opens) or,
/// when it has none left, its own X-Wing key (no forward secrecy: whoever later obtains the
/// node's epoch secret, or an ancestor's, opens the message).
public struct NodeMessageRecipient: Sendable {
    public let path: TreePath
    /// The key id of the recipient's certificate.
    public let keyID: KeyID
    /// 0 for the node's own X-Wing key.
    public let prekeyID: UInt32
    let recipient: AgeRecipient

    /// One prekey of a bundle read from the recipient's own verified `prekeys` record.
    public static func prekey(_ prekey: Prekey, of record: VerifiedClusterRecord) throws -> NodeMessageRecipient {
        guard case .prekeys(let path) = record.record.key.subject, case .prekeys(let bundle) = record.content,
            bundle.prekey(id: prekey.id) == prekey
        else {
            throw ArborError(.invalidArgument, "the prekey is not one of the record's")
        }
        return NodeMessageRecipient(path: path, keyID: record.signer.keyID, prekeyID: prekey.id, recipient: .postQuantum(prekey.publicKey))
    }

    /// The node's own X-Wing key, from its chain (verified now, with the agree usage).
    public static func nodeKey(
        _ chain: CertificateChain, root: TrustAnchor, revocations: RevocationList, at time: Int64
    ) throws -> NodeMessageRecipient {
        let verifier = ChainVerifier(anchors: [root], revocations: revocations, scope: TrustScope(clusterRoot: root.keyID))
        let (recipient, verified) = try NodeRecipient.of(chain, named: "the member \(chain.leaf.path)", verifier: verifier, at: time)
        return NodeMessageRecipient(path: verified.leaf.path, keyID: verified.leaf.keyID, prekeyID: 0, recipient: recipient)
    }

    /// Whether the message gets forward secrecy (a one-time prekey).
    public var isForwardSecret: Bool { prekeyID != 0 }
}

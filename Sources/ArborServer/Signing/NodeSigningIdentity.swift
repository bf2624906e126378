import ArborCore

/// The node's keys with its certificate chain: what it signs with (detached signatures, token
/// origins) and what a third party verifies those signatures against. The chain's root is the
/// node's trust anchor for `verify`.
public struct NodeSigningIdentity: Sendable {
    public let keys: NodeKeySet
    public let chain: CertificateChain

    /// The chain must end with the node's key.
    public init(keys: NodeKeySet, chain: CertificateChain) throws {
        guard chain.leaf.keyID == keys.keyID else {
            throw ArborError(.invalidArgument, "the chain ends with the key of \(chain.leaf.path), not with this node's key (\(keys.path))")
        }
        self.keys = keys
        self.chain = chain
    }

    /// Chains verified under the root of the node's own chain (its cluster).
    var verifier: ChainVerifier {
        get throws { ChainVerifier(anchors: [try TrustAnchor(name: "node root", rootCertificate: chain.root)]) }
    }
}

extension NodeDataDirectory {
    /// The directory's key and chain, checked to belong together when it was opened.
    public var signingIdentity: NodeSigningIdentity {
        get throws { try NodeSigningIdentity(keys: keys, chain: chain) }
    }
}

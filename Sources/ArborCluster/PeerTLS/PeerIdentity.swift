import ArborCore

/// A peer as the handshake verified it: the node at the end of its Arbor chain.
public struct PeerIdentity: Sendable, Equatable, CustomStringConvertible {
    /// The verified chain, from the cluster root to the peer's key.
    public let chain: CertificateChain

    public init(chain: CertificateChain) {
        self.chain = chain
    }

    public var path: TreePath { chain.leaf.path }
    public var keyID: KeyID { chain.leaf.keyID }
    public var epoch: UInt32 { chain.leaf.epoch }
    /// The cluster root's key id.
    public var cluster: KeyID { chain.root.keyID }

    public var description: String { "PeerIdentity(\(path), key \(keyID.shortHex))" }
}

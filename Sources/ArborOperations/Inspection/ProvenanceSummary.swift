import ArborCore

/// A mesh token's or `arbor-mesh` stanza's provenance, as `inspect` shows it: public fields only.
public struct ProvenanceSummary: Codable, Sendable, Equatable {
    public let keyring: String
    public let epoch: UInt32
    public let cipher: String
    public let time: String
    /// The origin's identifier: a hash of its path, all an unsigned token carries.
    public let origin: String
    /// The origin's path, when the token carries it (a signed token does) and it hashes to `origin`.
    public let originPath: String?
    /// The node whose origin signature the token carries (not verified here); for a rewrapped token,
    /// the node that attested the origin.
    public let signer: String?

    public init(_ provenance: Provenance, signer: TreePath?) {
        self.init(provenance, originPath: nil, signer: signer)
    }

    /// A token's provenance, with the origin path and signer its origin signature names.
    public init(token: MeshToken) {
        let origin = token.signature?.origin
        let named = origin.map { Provenance.originID(of: $0) == token.provenance.originID } ?? false
        self.init(token.provenance, originPath: named ? origin : nil, signer: token.signature?.signer)
    }

    private init(_ provenance: Provenance, originPath: TreePath?, signer: TreePath?) {
        keyring = Hex.encode(provenance.keyringID)
        epoch = provenance.epoch
        cipher = provenance.cipher.description
        time = Timestamp.format(provenance.time / 1000)
        origin = Hex.encode(provenance.originID)
        self.originPath = originPath?.description
        self.signer = signer?.description
    }
}

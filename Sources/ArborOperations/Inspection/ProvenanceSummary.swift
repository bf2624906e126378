import ArborCore

/// A mesh token's or `arbor-mesh` stanza's provenance, as `inspect` shows it: public fields only.
public struct ProvenanceSummary: Codable, Sendable, Equatable {
    public let keyring: String
    public let epoch: UInt32
    public let cipher: String
    public let time: String
    public let origin: String
    /// The node whose origin signature the token carries (not verified here).
    public let signer: String?

    public init(_ provenance: Provenance, signer: TreePath?) {
        keyring = Hex.encode(provenance.keyringID)
        epoch = provenance.epoch
        cipher = provenance.cipher.description
        time = Timestamp.format(provenance.time / 1000)
        origin = Hex.encode(provenance.originID)
        self.signer = signer?.description
    }
}

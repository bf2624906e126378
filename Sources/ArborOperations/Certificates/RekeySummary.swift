import ArborCore

/// What `rekey` made: the node's new key, where it was written, and the old key's revocation if any.
public struct RekeySummary: Codable, Sendable, Equatable {
    /// "self" or "parent-ordered".
    public let mode: String
    public let path: String
    public let epoch: UInt32
    public let keyID: String
    public let keyFile: String
    public let chainFile: String
    public let revokedOldKeyID: String?
    public let revocationReason: String?

    public init(mode: String, chain: CertificateChain, keyFile: String, chainFile: String, revoked: Revocation?) {
        self.mode = mode
        path = chain.leaf.path.description
        epoch = chain.leaf.epoch
        keyID = chain.leaf.keyID.hex
        self.keyFile = keyFile
        self.chainFile = chainFile
        revokedOldKeyID = revoked?.revokedKeyID.hex
        revocationReason = revoked?.reason.description
    }
}

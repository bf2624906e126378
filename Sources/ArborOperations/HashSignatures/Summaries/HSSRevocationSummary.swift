import ArborCore
import ArborCustody

/// What `hss revoke` signed: the withdrawn key and the leaf it spent.
public struct HSSRevocationSummary: Codable, Sendable, Equatable {
    public let revocationFile: String
    public let revokedIdentifier: String
    public let leaf: UInt32
    public let remainingLeaves: UInt32

    public init(_ revoked: HSSRevocationResult, revocationFile: String) {
        self.revocationFile = revocationFile
        revokedIdentifier = Hex.encode(revoked.revocation.revokedKey.identifier)
        leaf = revoked.leaf
        remainingLeaves = revoked.remainingLeaves
    }
}

import ArborCore

/// What `revoke` added to a revocation list.
public struct RevocationSummary: Codable, Sendable, Equatable {
    public let revokedPath: String
    public let revokedKeyID: String
    public let revokerPath: String
    public let reason: String
    /// A key-compromise revocation covers every epoch of the path.
    public let coversBranch: Bool
    public let time: String
    /// Entries in the list after the merge.
    public let listEntries: Int

    public init(_ revocation: Revocation, list: RevocationList) {
        revokedPath = revocation.revokedPath.description
        revokedKeyID = revocation.revokedKeyID.hex
        revokerPath = revocation.revokerPath.description
        reason = revocation.reason.description
        coversBranch = revocation.coversBranch
        time = Timestamp.format(revocation.time)
        listEntries = list.revocations.count
    }
}

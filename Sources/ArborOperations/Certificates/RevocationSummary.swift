import ArborCore

/// What `revoke` did to a revocation list: the entry that now stands for the revocation (the one
/// already there when it was a duplicate) and the list's size.
public struct RevocationSummary: Codable, Sendable, Equatable {
    public let revokedPath: String
    public let revokedKeyID: String
    public let revokerPath: String
    public let reason: String
    /// A key-compromise revocation covers every epoch of the path.
    public let coversBranch: Bool
    public let time: String
    /// False when the list already held an entry with the same effect; the list is then unchanged.
    public let added: Bool
    /// Entries in the list after the merge.
    public let listEntries: Int

    public init(_ revocation: Revocation, addition: RevocationListAddition) {
        let entry = RevocationEntrySummary(addition.existing ?? revocation)
        revokedPath = entry.revokedPath
        revokedKeyID = entry.revokedKeyID
        revokerPath = entry.revokerPath
        reason = entry.reason
        coversBranch = entry.coversBranch
        time = entry.time
        added = addition.added
        listEntries = addition.list.revocations.count
    }
}

/// One entry of a revocation list, as `revoke list` shows it.
public struct RevocationEntrySummary: Codable, Sendable, Equatable {
    public let revokedPath: String
    public let revokedKeyID: String
    public let reason: String
    /// A key-compromise revocation covers every epoch of the path.
    public let coversBranch: Bool
    public let time: String
    public let revokerPath: String
    public let revokerKeyID: String

    public init(_ revocation: Revocation) {
        revokedPath = revocation.revokedPath.description
        revokedKeyID = revocation.revokedKeyID.hex
        reason = revocation.reason.description
        coversBranch = revocation.coversBranch
        time = Timestamp.format(revocation.time)
        revokerPath = revocation.revokerPath.description
        revokerKeyID = revocation.revokerKeyID.hex
    }
}

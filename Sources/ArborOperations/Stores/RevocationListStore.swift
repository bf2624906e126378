import ArborCore

/// A revocation list that receives new entries (`RevocationListFile` in ArborKeyStore for files).
/// The store moves bytes; that a list only ever grows, and holds no entry twice, is
/// ``RevocationListStore/add(_:)``'s rule.
public protocol RevocationListStore {
    /// The list held; an empty list when there is none yet.
    func load() throws -> RevocationList
    /// Replaces the list held.
    func save(_ list: RevocationList) throws
}

/// What adding a revocation did: the list as it now stands, and the entry already there that
/// made the new one a duplicate (then nothing was saved).
public struct RevocationListAddition: Sendable, Equatable {
    public let list: RevocationList
    public let existing: Revocation?

    public var added: Bool { existing == nil }
}

extension RevocationListStore {
    /// Adds a revocation to the list held: entries merge as a set, so adding never drops one, and a
    /// revocation the list already enforces (see ``RevocationList/entry(enforcing:)``) is not
    /// added again, so revoking twice leaves one entry.
    public func add(_ revocation: Revocation) throws -> RevocationListAddition {
        var list = try load()
        if let existing = list.entry(enforcing: revocation) { return RevocationListAddition(list: list, existing: existing) }
        list.merge([revocation])
        try save(list)
        return RevocationListAddition(list: list, existing: nil)
    }
}

extension RevocationList {
    /// An entry that already has the effect of `revocation`: signed by the same revoker (a verifier
    /// honours an entry only when its revoker is an ancestor in the chain, so another revoker's entry
    /// is not the same) and covering what it covers: the same key, or a key-compromise entry for the
    /// same path, which covers every epoch there. A key-compromise revocation is covered only by
    /// another for its path; an entry for the key alone does not cover the branch.
    public func entry(enforcing revocation: Revocation) -> Revocation? {
        revocations.first { entry in
            guard entry.revokerKeyID == revocation.revokerKeyID, entry.revokedPath == revocation.revokedPath else { return false }
            if entry.coversBranch { return true }
            return !revocation.coversBranch && entry.revokedKeyID == revocation.revokedKeyID
        }
    }
}
